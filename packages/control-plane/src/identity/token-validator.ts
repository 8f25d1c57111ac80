/** Token authentication for Certify: the identity in a certificate comes only from here. */
import { looksLikeJoinToken } from '@weft/pki';

/** Why a token was refused (stable values; the `reason` label of the failure metric). */
export type TokenRejection =
  | 'missing'
  | 'malformed'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'wrong-trust-domain'
  | 'not-authenticated'
  | 'not-a-service-account';

/** The result of {@link TokenValidator.validate}. */
export type TokenValidation =
  | {
      type: 'authenticated';
      namespace: string;
      serviceAccount: string;
      /** Join tokens: the services (`namespace/name`) the identity may register. */
      services?: readonly string[];
    }
  | { type: 'rejected'; reason: TokenRejection; message: string };

/**
 * Authenticates a workload's token and names its service account. Called by the Certify handler
 * once per request. Returns `rejected` for every bad token; throws (any error) only when it
 * cannot decide, e.g. the Kubernetes API is unreachable — Certify answers UNAVAILABLE then.
 */
export interface TokenValidator {
  validate(token: string): Promise<TokenValidation>;
}

/** The format of tokens before join tokens became JWTs; refused with a message saying so. */
const OLD_JOIN_TOKEN_PREFIX = 'weft1.';

/**
 * Sends join tokens (JWTs whose issuer is `weft-join`) to one validator and all other tokens to
 * another; a missing validator rejects its tokens as malformed.
 */
export function routingTokenValidator(options: {
  joinTokens?: TokenValidator;
  kubernetes?: TokenValidator;
}): TokenValidator {
  return {
    async validate(token) {
      if (token.length === 0)
        return { type: 'rejected', reason: 'missing', message: 'no token in the request' };
      if (token.startsWith(OLD_JOIN_TOKEN_PREFIX)) {
        return {
          type: 'rejected',
          reason: 'malformed',
          message: 'a join token of the old weft1 format; create a new one with "weft token create"',
        };
      }
      const join = looksLikeJoinToken(token);
      const target = join ? options.joinTokens : options.kubernetes;
      if (target === undefined) {
        const kind = join ? 'join tokens' : 'Kubernetes tokens';
        return {
          type: 'rejected',
          reason: 'malformed',
          message: `this control plane does not accept ${kind}`,
        };
      }
      return target.validate(token);
    },
  };
}
