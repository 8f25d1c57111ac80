/** @weft/proxy. */

export {
  type CertificateClient,
  type CertifyClientResult,
  type CertifyReply,
  type GrpcCertificateClientOptions,
  grpcCertificateClient,
} from './identity/certificate-client.js';
export {
  CertificateManager,
  type CertificateManagerEvents,
  type CertificateManagerOptions,
  type RenewalFailure,
} from './identity/certificate-manager.js';
export {
  type RequestSvidOptions,
  requestSvid,
  SVID_FILES,
  type Svid,
  type SvidRequestResult,
  writeSvid,
} from './identity/svid.js';
