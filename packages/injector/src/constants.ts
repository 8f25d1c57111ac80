/** The names, ports and annotation keys that the injector, proxy-init and the proxy agree on. */

/** Annotation that opts a namespace or pod in (`enabled`) or out (`disabled`). */
export const ANNOTATION_INJECT = 'weft.dev/inject';
/** Recorded on an injected pod: the weft version that injected it. */
export const ANNOTATION_INJECTED_VERSION = 'weft.dev/injected-version';
/** Recorded on an injected pod: why it was injected (`pod-enabled`, `namespace-enabled`, `requested`). */
export const ANNOTATION_INJECTED_REASON = 'weft.dev/injected-reason';
/** Tells kubectl logs/exec which container is the app, so the proxy is never the default. */
export const ANNOTATION_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/** Configuration annotations, read from the namespace and then the pod (the pod wins). */
export const CONFIG_ANNOTATIONS = {
  proxyCpu: 'weft.dev/proxy-cpu',
  proxyMemory: 'weft.dev/proxy-memory',
  skipInboundPorts: 'weft.dev/skip-inbound-ports',
  skipOutboundPorts: 'weft.dev/skip-outbound-ports',
  skipOutboundCidrs: 'weft.dev/skip-outbound-cidrs',
  opaquePorts: 'weft.dev/opaque-ports',
  inboundPolicy: 'weft.dev/inbound-policy',
} as const;

export const PROXY_CONTAINER_NAME = 'weft-proxy';
export const INIT_CONTAINER_NAME = 'weft-init';
export const TOKEN_VOLUME_NAME = 'weft-identity-token';
export const XTABLES_VOLUME_NAME = 'weft-xtables-lock';

/** Where the projected ServiceAccount token is mounted in the proxy. */
export const TOKEN_MOUNT_PATH = '/var/run/secrets/weft/tokens';
export const TOKEN_FILE_NAME = 'weft-token';
/** The audience of the projected token; the control plane checks it in its TokenReview. */
export const TOKEN_AUDIENCE = 'weft';
export const TOKEN_EXPIRATION_SECONDS = 3600;

/** Fixed ports (ARCHITECTURE.md). */
export const PORTS = {
  outbound: 7140,
  inbound: 7143,
  admin: 7191,
  controlPlane: 7443,
  webhook: 8443,
} as const;
/** The proxy's UID; proxy-init lets this UID's traffic through untouched. */
export const PROXY_UID = 7102;

/** Namespaces never injected, whatever their annotations say. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The environment variables the proxy reads (set by the injector on the `weft-proxy` container).
 * The proxy's own configuration loader is the other half of this contract.
 */
export const PROXY_ENV = {
  podName: 'WEFT_POD_NAME',
  podNamespace: 'WEFT_POD_NAMESPACE',
  podIp: 'WEFT_POD_IP',
  serviceAccount: 'WEFT_SERVICE_ACCOUNT',
  controlPlaneAddress: 'WEFT_CONTROL_PLANE_ADDRESS',
  trustDomain: 'WEFT_TRUST_DOMAIN',
  tokenFile: 'WEFT_IDENTITY_TOKEN_FILE',
  inboundPorts: 'WEFT_INBOUND_PORTS',
  opaquePorts: 'WEFT_OPAQUE_PORTS',
  inboundPolicy: 'WEFT_INBOUND_POLICY',
  inboundListen: 'WEFT_INBOUND_LISTEN',
  outboundListen: 'WEFT_OUTBOUND_LISTEN',
  adminListen: 'WEFT_ADMIN_LISTEN',
  logLevel: 'WEFT_LOG_LEVEL',
} as const;
