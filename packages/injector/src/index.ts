/** @weft/injector: the sidecar injector — pure patch logic, the offline manifest walker, the webhook. */

export {
  ADMISSION_VERSIONS,
  admissionResponse,
  type BadReviewCode,
  parseAdmissionReview,
} from './admission.js';
export {
  ANNOTATION_INJECT,
  ANNOTATION_INJECTED_REASON,
  ANNOTATION_INJECTED_VERSION,
  ANNOTATION_TRUST_ANCHORS,
  CONFIG_ANNOTATIONS,
  INIT_CONTAINER_NAME,
  LABEL_SERVICE_ACCOUNT,
  PORTS,
  PROXY_CONTAINER_NAME,
  PROXY_ENV,
  PROXY_UID,
  TOKEN_AUDIENCE,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  TOKEN_MOUNT_PATH,
} from './constants.js';
export type { DecideOptions, Decision, InjectReasonCode, Reason, SkipReasonCode } from './decide.js';
export { type InjectResult, injectPod } from './inject-pod.js';
export { escapePointerToken, type PatchOperation, pointer } from './json-patch.js';
export {
  type InjectManifestOptions,
  injectManifest,
  type ManifestEntry,
  type ManifestResult,
} from './manifest.js';
export { InjectorMetrics } from './metrics.js';
export { loadKubeConfig, NamespaceCache, type NamespaceCacheOptions } from './namespace-cache.js';
export type { NamespaceInfo } from './pod.js';
export { type ProxyOptions, resolveProxyOptions } from './proxy-options.js';
export {
  createReviewHandler,
  type HttpAnswer,
  type NamespaceLookup,
  type NamespaceLookupResult,
  type ReviewHandler,
  type ReviewHandlerOptions,
} from './review-handler.js';
export {
  createWebhookApp,
  MAX_BODY_BYTES,
  startWebhookServer,
  type WebhookServer,
  type WebhookServerOptions,
} from './server.js';
export {
  INJECTOR_VERSION,
  type InjectorConfig,
  injectorSettingsSchema,
  parseInjectorConfig,
} from './settings.js';
export { readTlsFiles, type TlsFileWatchOptions, type TlsMaterial, watchTlsFiles } from './tls-files.js';
export {
  type IssuedTls,
  type IssuedTlsOptions,
  issueServingCertificate,
  startIssuedTls,
} from './tls-issued.js';
