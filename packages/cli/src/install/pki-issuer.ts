/** The IdentityIssuer over @weft/pki. */
import type { IdentityIssuer } from './identity.js';

/** Creates the trust anchor, issuer and serving certificates with @weft/pki. */
export const pkiIssuer: IdentityIssuer = {
  createCa() {
    throw new Error(
      'generating certificates needs @weft/pki, which has not landed in this build; pass --identity-dir',
    );
  },
  issueServing() {
    throw new Error(
      'generating certificates needs @weft/pki, which has not landed in this build; pass --identity-dir',
    );
  },
};
