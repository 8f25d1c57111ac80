/** `injectPod`: the pure heart of the injector — a pod and its namespace in, JSON Patch operations out. */
import {
  ANNOTATION_DEFAULT_CONTAINER,
  ANNOTATION_INJECTED_REASON,
  ANNOTATION_INJECTED_VERSION,
  ANNOTATION_TRUST_ANCHORS,
  LABEL_SERVICE_ACCOUNT,
} from './constants.js';
import { initContainer, proxyContainer, sidecarVolumes } from './containers.js';
import {
  type DecideOptions,
  decide,
  type InjectReasonCode,
  type Reason,
  type SkipReasonCode,
} from './decide.js';
import { appendOps, type PatchOperation, prependOps, setMapOps } from './json-patch.js';
import { type NamespaceInfo, podSchema } from './pod.js';
import { resolveProxyOptions } from './proxy-options.js';
import type { InjectorConfig } from './settings.js';

/** A label value: at most 63 characters, alphanumeric at both ends, `-_.` inside. */
const LABEL_VALUE = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The outcome of `injectPod`. */
export type InjectResult =
  | {
      readonly type: 'inject';
      readonly reason: Reason<InjectReasonCode>;
      readonly patch: readonly PatchOperation[];
    }
  | { readonly type: 'skip'; readonly reason: Reason<SkipReasonCode>; readonly optedIn: boolean };

/**
 * Decides whether to inject `pod` and, if so, returns the JSON Patch that adds the sidecar.
 * The patch is computed against this pod: it adds arrays and maps the pod lacks and inserts
 * into those it has, leaves app containers untouched, and escapes keys per RFC 6901.
 * A pod that already has the sidecar is skipped, so injecting twice equals injecting once.
 * Never throws: an unreadable pod is a skip with reason `invalid-pod`.
 */
export function injectPod(
  rawPod: unknown,
  namespace: NamespaceInfo,
  config: InjectorConfig,
  options: DecideOptions = {},
): InjectResult {
  const parsed = podSchema.safeParse(rawPod);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`;
    return {
      type: 'skip',
      reason: { code: 'invalid-pod', message: `the object is not a pod (${where})` },
      optedIn: false,
    };
  }
  const pod = parsed.data;
  const decision = decide(pod, namespace, config, options);
  if (decision.type === 'skip') return decision;

  const podAnnotations = pod.metadata?.annotations ?? {};
  const resolved = resolveProxyOptions(podAnnotations, namespace.annotations, {
    mesh: config.mesh,
    cpu: config.injector.proxyCpu,
    memory: config.injector.proxyMemory,
  });
  if (resolved.type === 'invalid') {
    return {
      type: 'skip',
      reason: {
        code: 'invalid-annotation',
        message: `annotation ${resolved.annotation}: ${resolved.message}`,
      },
      optedIn: true,
    };
  }

  const inboundPorts = [
    ...new Set(
      pod.spec.containers
        .flatMap((c) => c.ports ?? [])
        .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
        .map((p) => p.containerPort),
    ),
  ].sort((a, b) => a - b);
  const labels = pod.metadata?.labels ?? {};
  const service =
    labels['app.kubernetes.io/name'] ??
    labels.app ??
    pod.spec.serviceAccountName ??
    pod.spec.containers[0]?.name ??
    'default';
  const input = { config, options: resolved.options, inboundPorts, service };
  const init = initContainer(input);
  const proxy = proxyContainer(input);
  const hasInit = Array.isArray(pod.spec.initContainers);

  const patch: PatchOperation[] = [];
  if (config.injector.nativeSidecar) {
    // weft-init first (iptables), then the proxy, then the pod's own init containers, which
    // therefore already have a working network.
    patch.push(...prependOps(['spec', 'initContainers'], [init, proxy], hasInit));
  } else {
    // No proxy runs during the init phase, so weft-init goes last: the pod's own init
    // containers keep a direct network, and the redirect starts with the proxy.
    patch.push(...appendOps(['spec', 'initContainers'], [init], hasInit));
    patch.push(...prependOps(['spec', 'containers'], [proxy], true));
  }
  patch.push(...appendOps(['spec', 'volumes'], sidecarVolumes(config), Array.isArray(pod.spec.volumes)));

  const annotations: Record<string, string> = {
    [ANNOTATION_INJECTED_VERSION]: config.injector.version,
    [ANNOTATION_INJECTED_REASON]: decision.reason.code,
  };
  if (config.injector.trustAnchorsPem !== undefined) {
    annotations[ANNOTATION_TRUST_ANCHORS] = config.injector.trustAnchorsPem;
  }
  const firstApp = pod.spec.containers[0]?.name;
  if (podAnnotations[ANNOTATION_DEFAULT_CONTAINER] === undefined && firstApp !== undefined) {
    annotations[ANNOTATION_DEFAULT_CONTAINER] = firstApp;
  }
  // The ServiceAccount admission plugin runs before webhooks, so the name is set; the label
  // always states the pod's real account (a label the pod brought is overwritten).
  const serviceAccount = pod.spec.serviceAccountName ?? 'default';
  const podLabels: Record<string, string> = LABEL_VALUE.test(serviceAccount)
    ? { [LABEL_SERVICE_ACCOUNT]: serviceAccount }
    : {};
  if (pod.metadata === undefined || pod.metadata === null) {
    patch.push({
      op: 'add',
      path: '/metadata',
      value: { annotations, ...(Object.keys(podLabels).length > 0 ? { labels: podLabels } : {}) },
    });
  } else {
    patch.push(...setMapOps(['metadata', 'annotations'], annotations, pod.metadata.annotations != null));
    patch.push(...setMapOps(['metadata', 'labels'], podLabels, pod.metadata.labels != null));
  }
  return { type: 'inject', reason: decision.reason, patch };
}
