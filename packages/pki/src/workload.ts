/**
 * @weft/pki/workload: what a workload (the sidecar) needs to hold an X.509-SVID — keys, chain
 * validation, trust bundles, rotation timing — without the CA's node-forge or the join tokens'
 * jose, which the package index loads (~8 MB and ~80 ms at start-up in every sidecar).
 */
export { type CertificateInfo, parseCertificate } from './certificate.js';
export { derToPem, pemToDer, pemToDers } from './der.js';
export { MalformedError, PkiError } from './errors.js';
export { generateKeyPair, type KeyAlgorithm, privateKeyToPem, spkiOf } from './keys.js';
export { CONTROL_PLANE_SERVER_NAME } from './names.js';
export { type RotationInput, rotationDelayMs } from './rotation.js';
export { type SvidPolicy, type SvidRejection, type SvidResult, validateSvid } from './svid.js';
export { type TrustAnchor, TrustBundle } from './trust-bundle.js';
