/** When to inject: the rules, in order, as a pure function of the pod, its namespace and the config. */
import {
  ANNOTATION_INJECT,
  ANNOTATION_INJECTED_VERSION,
  INIT_CONTAINER_NAME,
  PORTS,
  PROXY_CONTAINER_NAME,
  SYSTEM_NAMESPACES,
} from './constants.js';
import type { NamespaceInfo, Pod } from './pod.js';
import type { InjectorConfig } from './settings.js';

/** Why a pod is injected. `requested`: `weft inject` was asked to, offline. */
export type InjectReasonCode = 'pod-enabled' | 'namespace-enabled' | 'requested';

/** Why a pod is not injected. */
export type SkipReasonCode =
  | 'invalid-pod'
  | 'already-injected'
  | 'pod-disabled'
  | 'system-namespace'
  | 'host-network'
  | 'not-enabled'
  | 'invalid-annotation'
  | 'port-conflict';

/** A stable code for metrics and annotations, and a sentence for people. */
export interface Reason<C extends string> {
  readonly code: C;
  readonly message: string;
}

export type Decision =
  | { readonly type: 'inject'; readonly reason: Reason<InjectReasonCode> }
  | {
      readonly type: 'skip';
      readonly reason: Reason<SkipReasonCode>;
      /** true when the pod or its namespace asked for injection: a skip then deserves a warning. */
      readonly optedIn: boolean;
    };

/** How the caller came to ask. */
export interface DecideOptions {
  /** Offline `weft inject`: inject unless a rule forbids it, whatever the annotations say. */
  readonly requested?: boolean;
}

/** The ports the proxy binds inside the pod; an app container may not use them. */
const PROXY_PORTS: readonly number[] = [PORTS.outbound, PORTS.inbound, PORTS.admin];

function skip(code: SkipReasonCode, message: string, optedIn: boolean): Decision {
  return { type: 'skip', reason: { code, message }, optedIn };
}

/** True when the pod already carries the sidecar (by annotation or by container name). */
export function isInjected(pod: Pod): boolean {
  if (pod.metadata?.annotations?.[ANNOTATION_INJECTED_VERSION] !== undefined) return true;
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  return names.includes(PROXY_CONTAINER_NAME) || names.includes(INIT_CONTAINER_NAME);
}

/** Decides whether to inject. Rules that forbid injection win over every opt-in. */
export function decide(
  pod: Pod,
  namespace: NamespaceInfo,
  config: InjectorConfig,
  options: DecideOptions = {},
): Decision {
  const podValue = pod.metadata?.annotations?.[ANNOTATION_INJECT];
  const nsValue = namespace.annotations[ANNOTATION_INJECT];
  const optedIn =
    options.requested === true || podValue === 'enabled' || (podValue === undefined && nsValue === 'enabled');

  if (isInjected(pod)) return skip('already-injected', 'the pod already has the weft proxy', false);
  if (podValue === 'disabled') {
    return skip('pod-disabled', `the pod is annotated ${ANNOTATION_INJECT}: disabled`, false);
  }
  const systemNamespaces = [...SYSTEM_NAMESPACES, config.injector.meshNamespace];
  if (systemNamespaces.includes(namespace.name)) {
    return skip('system-namespace', `pods in namespace ${namespace.name} are never injected`, optedIn);
  }
  if (pod.spec.hostNetwork === true) {
    return skip('host-network', 'the pod uses the host network, which iptables rules would break', optedIn);
  }
  if (podValue !== undefined && podValue !== 'enabled') {
    return skip(
      'invalid-annotation',
      `pod annotation ${ANNOTATION_INJECT}: "${podValue}" must be "enabled" or "disabled"`,
      true,
    );
  }
  const clash = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]
    .flatMap((c) => c.ports ?? [])
    .find((p) => PROXY_PORTS.includes(p.containerPort));
  if (clash !== undefined && optedIn) {
    return skip('port-conflict', `container port ${clash.containerPort} is reserved for weft`, true);
  }
  if (options.requested === true) {
    return {
      type: 'inject',
      reason: { code: 'requested', message: 'injection was requested by weft inject' },
    };
  }
  if (podValue === 'enabled') {
    return {
      type: 'inject',
      reason: { code: 'pod-enabled', message: `the pod is annotated ${ANNOTATION_INJECT}: enabled` },
    };
  }
  if (nsValue === 'enabled') {
    return {
      type: 'inject',
      reason: {
        code: 'namespace-enabled',
        message: `namespace ${namespace.name} is annotated ${ANNOTATION_INJECT}: enabled`,
      },
    };
  }
  if (podValue === undefined && nsValue !== undefined && nsValue !== 'disabled') {
    // e.g. "true": almost certainly meant "enabled", so say so rather than skip quietly.
    return skip(
      'invalid-annotation',
      `namespace ${namespace.name} annotation ${ANNOTATION_INJECT}: "${nsValue}" must be "enabled" or "disabled"`,
      true,
    );
  }
  return skip(
    'not-enabled',
    `neither the pod nor namespace ${namespace.name} is annotated ${ANNOTATION_INJECT}: enabled`,
    false,
  );
}
