/** The names, ports and annotation keys that the injector, proxy-init and the proxy agree on. */

/** Annotation that opts a namespace or pod in (`enabled`) or out (`disabled`). */
export const ANNOTATION_INJECT = 'weft.dev/inject';
/** Recorded on an injected pod: the weft version that injected it. */
export const ANNOTATION_INJECTED_VERSION = 'weft.dev/injected-version';
/** Recorded on an injected pod: why it was injected (`pod-enabled`, `namespace-enabled`, `requested`). */
export const ANNOTATION_INJECTED_REASON = 'weft.dev/injected-reason';
/** Tells kubectl logs/exec which container is the app, so the proxy is never the default. */
export const ANNOTATION_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/**
 * Label written on every injected pod with its ServiceAccount name: NetworkPolicy selects pods by
 * label only, so the policies `weft netpol generate` writes name mesh identities through it
 * (control-plane `netpol/labels.ts` uses the same key). Not written when the name is longer than a
 * label value may be (63 characters).
 */
export const LABEL_SERVICE_ACCOUNT = 'weft.dev/service-account';

/** Configuration annotations, read from the namespace and then the pod (the pod wins). */
export const CONFIG_ANNOTATIONS = {
  proxyCpu: 'weft.dev/proxy-cpu',
  proxyMemory: 'weft.dev/proxy-memory',
  skipInboundPorts: 'weft.dev/skip-inbound-ports',
  skipOutboundPorts: 'weft.dev/skip-outbound-ports',
  skipOutboundCidrs: 'weft.dev/skip-outbound-cidrs',
  opaquePorts: 'weft.dev/opaque-ports',
  inboundPolicy: 'weft.dev/inbound-policy',
  /** Per-workload override of the mesh config's tracing (reaches the proxy as WEFT_OTLP*). */
  traceEndpoint: 'weft.dev/trace-endpoint',
  traceProtocol: 'weft.dev/trace-protocol',
  traceSampling: 'weft.dev/trace-sampling',
  /** `enabled`: weft-init redirects the app's DNS (port 53) to the proxy's DNS listener (docs/dns.md). */
  dnsCapture: 'weft.dev/dns-capture',
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
  /** The proxy's DNS listener on 127.0.0.1 (UDP and TCP). */
  dns: 15053,
} as const;
/** The proxy's UID; proxy-init lets this UID's traffic through untouched. */
export const PROXY_UID = 7102;

/** Namespaces never injected, whatever their annotations say. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/**
 * The trust anchors (PEM) the proxy checks the control plane against travel in this pod
 * annotation and reach the proxy as a file through a downward API volume: no per-namespace
 * ConfigMap or Secret is needed. (Rotating the anchors takes a pod restart, as with Linkerd.)
 */
export const ANNOTATION_TRUST_ANCHORS = 'weft.dev/trust-anchors';
export const TRUST_ANCHORS_FILE_NAME = 'ca.crt';
export const TRUST_ANCHORS_VOLUME_NAME = 'weft-trust-anchors';
export const TRUST_ANCHORS_MOUNT_PATH = '/var/run/weft/trust-anchors';

/**
 * The environment variables `weft proxy` reads (its flags mirror them); the injector sets these
 * on the `weft-proxy` container.
 */
export const PROXY_ENV = {
  /** The pod name (downward API). */
  workload: 'WEFT_WORKLOAD',
  /** The pod namespace (downward API). */
  namespace: 'WEFT_NAMESPACE',
  /** The pod IP, where other proxies reach this one (downward API). */
  advertiseAddress: 'WEFT_ADVERTISE_ADDRESS',
  /** The pod's service account, its identity (downward API). */
  serviceAccount: 'WEFT_SERVICE_ACCOUNT',
  /** The service the workload serves (from its labels). */
  service: 'WEFT_SERVICE',
  controlPlane: 'WEFT_CONTROL_PLANE',
  caFile: 'WEFT_CA_FILE',
  tokenFile: 'WEFT_TOKEN_FILE',
  /** The app's TCP ports, comma-separated. */
  inbound: 'WEFT_INBOUND',
  opaquePorts: 'WEFT_OPAQUE_PORTS',
  mtlsMode: 'WEFT_MTLS_MODE',
  /** The inbound policy from annotations (or the mesh default). */
  inboundPolicy: 'WEFT_INBOUND_POLICY',
  inboundPort: 'WEFT_INBOUND_PORT',
  outboundPort: 'WEFT_OUTBOUND_PORT',
  adminPort: 'WEFT_ADMIN_PORT',
  /** Where the full admin surface binds: loopback. */
  adminHost: 'WEFT_ADMIN_HOST',
  /** The pod IP, where only /live, /ready and /metrics are served (downward API). */
  adminProbeHost: 'WEFT_ADMIN_PROBE_HOST',
  logLevel: 'WEFT_LOG_LEVEL',
  /** Tracing overrides from annotations (set only when annotated). */
  otlp: 'WEFT_OTLP',
  otlpProtocol: 'WEFT_OTLP_PROTOCOL',
  traceSampling: 'WEFT_TRACE_SAMPLING',
} as const;
