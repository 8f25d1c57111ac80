/** Token authentication for Certify: the identity in a certificate comes only from here. */

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
  | { type: 'authenticated'; namespace: string; serviceAccount: string }
  | { type: 'rejected'; reason: TokenRejection; message: string };

/**
 * Authenticates a workload's token and names its service account. Called by the Certify handler
 * once per request. Returns `rejected` for every bad token; throws (any error) only when it
 * cannot decide, e.g. the Kubernetes API is unreachable — Certify answers UNAVAILABLE then.
 */
export interface TokenValidator {
  validate(token: string): Promise<TokenValidation>;
}

/** Join tokens start with this; everything else is taken for a Kubernetes token. */
export const JOIN_TOKEN_PREFIX = 'weft1.';

/**
 * Sends join tokens (`weft1.` prefix) to one validator and all other tokens to another; a
 * missing validator rejects its tokens as malformed.
 */
export function routingTokenValidator(options: {
  joinTokens?: TokenValidator;
  kubernetes?: TokenValidator;
}): TokenValidator {
  return {
    async validate(token) {
      if (token.length === 0)
        return { type: 'rejected', reason: 'missing', message: 'no token in the request' };
      const target = token.startsWith(JOIN_TOKEN_PREFIX) ? options.joinTokens : options.kubernetes;
      if (target === undefined) {
        const kind = token.startsWith(JOIN_TOKEN_PREFIX) ? 'join tokens' : 'Kubernetes tokens';
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
