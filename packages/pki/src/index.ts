/** @weft/pki: the certificate authority, CSRs, SPIFFE X.509-SVID validation and trust bundles. */
export {
  type AnchorRotationState,
  type AnchorRotationStep,
  type AnchorSummary,
  addTrustAnchor,
  anchorRotationState,
  certificateFingerprint,
  isSignedBy,
  keyMatches,
  type RotatableIdentity,
  removeOldAnchors,
  switchIssuer,
} from './anchor-rotation.js';
export {
  type CaKeyPair,
  CertificateAuthority,
  type CertificateAuthorityOptions,
  CLOCK_SKEW_ALLOWANCE_MS,
  type CreateCaCertificateOptions,
  createIssuer,
  createTrustAnchor,
  DEFAULT_LEAF_LIFETIME_MS,
  type IssuedCertificate,
  type IssueForKeyRequest,
  type IssueResult,
  trustDomainOf,
} from './ca.js';
export { type CertificateInfo, parseCertificate } from './certificate.js';
export {
  type CreateCsrOptions,
  type CsrRejection,
  type CsrResult,
  createCsr,
  MAX_CSR_BYTES,
  type VerifiedCsr,
  verifyCsr,
} from './csr.js';
export { derToPem, pemToDer, pemToDers } from './der.js';
export { MalformedError, PkiError } from './errors.js';
export { EKU, type KeyUsage } from './extensions.js';
export {
  type CreateIdentityOptions,
  createIdentityMaterial,
  IDENTITY_FILES,
  type IdentityMaterial,
  type IdentityTexts,
  type LoadedIdentity,
  type LoadIdentityOptions,
  loadIdentityDir,
  loadIdentityTexts,
  loadTokenKey,
  type RotateIssuerOptions,
  rotateIssuer,
  writeIdentityDir,
} from './identity-dir.js';
export {
  type CreateJoinTokenOptions,
  canonicalService,
  createJoinToken,
  generateTokenKey,
  JOIN_TOKEN_ISSUER,
  type JoinTokenClaims,
  type JoinTokenPolicy,
  type JoinTokenRejection,
  type JoinTokenResult,
  looksLikeJoinToken,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_SERVICES,
  TOKEN_AUDIENCE,
  verifyJoinToken,
} from './join-token.js';
export { generateKeyPair, type KeyAlgorithm, privateKeyFromPem, privateKeyToPem, spkiOf } from './keys.js';
export {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVER_NAME,
  CONTROL_PLANE_SERVICE_ACCOUNT,
} from './names.js';
export { type RotationInput, rotationDelayMs } from './rotation.js';
export {
  type PeerCertificateLink,
  peerCertificateChain,
  type SvidLeafPolicy,
  type SvidPolicy,
  type SvidRejection,
  type SvidResult,
  validateSvid,
  validateSvidLeaf,
} from './svid.js';
export { type TrustAnchor, TrustBundle } from './trust-bundle.js';
