/** @weft/control-plane. */

export {
  Certifier,
  type CertifierOptions,
  type CertifyOutcome,
  DEFAULT_CERTIFY_RATE_LIMIT,
} from './identity/certifier.js';
export { addIdentityService, type IdentityServiceOptions } from './identity/identity-service.js';
export { type JoinTokenValidatorOptions, joinTokenValidator } from './identity/join-token-validator.js';
export {
  kubernetesTokenReviewer,
  kubernetesTokenValidator,
  type TokenReviewer,
} from './identity/kubernetes-token-validator.js';
export { createIdentityMetrics, type IdentityMetrics } from './identity/metrics.js';
export { type CallWithAuthContext, type PeerIdentityPolicy, peerIdentity } from './identity/peer-identity.js';
export type { RateLimitOptions } from './identity/rate-limiter.js';
export {
  createIdentityServerCredentials,
  DEFAULT_CONTROL_PLANE_DNS_NAMES,
  type ServingCredentials,
  type ServingCredentialsOptions,
} from './identity/serving-credentials.js';
export {
  JOIN_TOKEN_PREFIX,
  routingTokenValidator,
  type TokenRejection,
  type TokenValidation,
  type TokenValidator,
} from './identity/token-validator.js';
