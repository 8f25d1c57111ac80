/** The local-mode TokenValidator: join tokens signed with the control plane's token.key. */
import type { KeyObject } from 'node:crypto';
import { type Clock, systemClock } from '@weft/core';
import { verifyJoinToken } from '@weft/pki';
import type { TokenValidator } from './token-validator.js';

/** Options for {@link joinTokenValidator}. */
export interface JoinTokenValidatorOptions {
  /** token.key (the Ed25519 key; the private key works, its public half verifies). */
  readonly key: KeyObject;
  readonly trustDomain: string;
  readonly clock?: Clock;
}

/** Validates `weft token create` tokens (JWTs): signature, issuer, audience `weft`, trust domain, expiry. */
export function joinTokenValidator(options: JoinTokenValidatorOptions): TokenValidator {
  const clock = options.clock ?? systemClock;
  return {
    async validate(token) {
      const result = await verifyJoinToken(token, {
        key: options.key,
        trustDomain: options.trustDomain,
        now: clock.now(),
      });
      if (result.type === 'rejected') return result;
      return {
        type: 'authenticated',
        namespace: result.claims.namespace,
        serviceAccount: result.claims.serviceAccount,
        services: result.claims.services,
      };
    },
  };
}
