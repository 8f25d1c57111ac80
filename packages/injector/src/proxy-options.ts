/** The per-pod proxy options: mesh defaults, then namespace annotations, then pod annotations. */
import { isIP } from 'node:net';
import type { MeshConfig } from '@weft/api';
import { CONFIG_ANNOTATIONS } from './constants.js';

/** A Kubernetes resource quantity (`100m`, `0.5`, `128Mi`, `1e3`). */
export const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E|[eE][+-]?\d+)?$/;

export type InboundPolicyName = MeshConfig['defaultInboundPolicy'];
const INBOUND_POLICIES: readonly InboundPolicyName[] = ['allow-all', 'allow-authenticated', 'deny'];

/** The options that shape the injected containers for one pod. Port lists are normalized text. */
export interface ProxyOptions {
  readonly cpu: string;
  readonly memory: string;
  /** e.g. `22,8000-8100`; empty for none. */
  readonly skipInboundPorts: string;
  readonly skipOutboundPorts: string;
  /** e.g. `10.0.0.0/8,fd00::/8`; empty for none. */
  readonly skipOutboundCidrs: string;
  /** Single ports (ranges expanded), e.g. `5432,6379`. */
  readonly opaquePorts: string;
  readonly inboundPolicy: InboundPolicyName;
  /** Tracing overrides ('' when not annotated: the mesh config applies). */
  readonly traceEndpoint: string;
  readonly traceProtocol: string;
  readonly traceSampling: string;
  /** Redirect the app's DNS to the proxy (annotation `weft.dev/dns-capture: enabled`). */
  readonly dnsCapture: boolean;
}

export type ProxyOptionsResult =
  | { readonly type: 'ok'; readonly options: ProxyOptions }
  | {
      readonly type: 'invalid';
      readonly annotation: string;
      readonly value: string;
      readonly message: string;
    };

/** A normalized annotation value, or why it is refused. */
export type Checked = { ok: true; value: string } | { ok: false; message: string };

/** Trims a comma-separated list, drops empty items, and refuses the first item `problem` names. */
function normalizeList(value: string, problem: (part: string) => string | undefined): Checked {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const part of parts) {
    const message = problem(part);
    if (message !== undefined) return { ok: false, message };
  }
  return { ok: true, value: parts.join(',') };
}

/** Normalizes a list like `" 22, 8000-8100 "` to `22,8000-8100`, or returns an error message. */
export function normalizePortList(value: string): Checked {
  return normalizeList(value, (part) => {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    return lo >= 1 && hi <= 65535 && lo <= hi
      ? undefined
      : `"${part}" is not a port (1-65535) or a range lo-hi`;
  });
}

/** The most ports an opaque-ports annotation may expand to. */
export const MAX_OPAQUE_PORTS = 1024;

/** Normalizes a port list and expands its ranges (the proxy takes single ports). */
export function expandPortList(value: string): Checked {
  const normalized = normalizePortList(value);
  if (!normalized.ok) return normalized;
  const ports = new Set<number>();
  for (const part of normalized.value.split(',').filter((p) => p !== '')) {
    const [lo, hi = lo] = part.split('-').map(Number) as [number, number?];
    if (ports.size + (hi - lo + 1) > MAX_OPAQUE_PORTS) {
      return { ok: false, message: `expands to more than ${MAX_OPAQUE_PORTS} ports` };
    }
    for (let p = lo; p <= hi; p++) ports.add(p);
  }
  return { ok: true, value: [...ports].sort((a, b) => a - b).join(',') };
}

/** Normalizes a list of IPv4/IPv6 CIDRs, or returns an error message. */
export function normalizeCidrList(value: string): Checked {
  return normalizeList(value, (part) => {
    const [address = '', prefix, extra] = part.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const bits = prefix === undefined ? max : Number(prefix);
    const prefixOk = prefix === undefined || /^\d{1,3}$/.test(prefix);
    const valid = family !== 0 && extra === undefined && prefixOk && bits >= 0 && bits <= max;
    return valid ? undefined : `"${part}" is not an IPv4 or IPv6 CIDR`;
  });
}

/**
 * Resolves the proxy options for a pod. Each annotation is looked up on the pod first, then on
 * the namespace, then falls back to the defaults. The first invalid value found is reported.
 */
export function resolveProxyOptions(
  podAnnotations: Readonly<Record<string, string>>,
  namespaceAnnotations: Readonly<Record<string, string>>,
  defaults: { mesh: MeshConfig; cpu: string; memory: string },
): ProxyOptionsResult {
  let invalid: Extract<ProxyOptionsResult, { type: 'invalid' }> | undefined;
  const pick = (key: string, fallback: string, check: (v: string) => Checked): string => {
    const value = podAnnotations[key] ?? namespaceAnnotations[key];
    if (value === undefined) return fallback;
    const result = check(value);
    if (result.ok) return result.value;
    invalid ??= { type: 'invalid', annotation: key, value, message: result.message };
    return fallback;
  };
  const quantity = (v: string) =>
    QUANTITY.test(v.trim())
      ? ({ ok: true, value: v.trim() } as const)
      : ({ ok: false, message: `"${v}" is not a Kubernetes quantity such as 100m or 128Mi` } as const);
  const policy = (v: string) =>
    (INBOUND_POLICIES as readonly string[]).includes(v.trim())
      ? ({ ok: true, value: v.trim() } as const)
      : ({ ok: false, message: `"${v}" is not one of ${INBOUND_POLICIES.join(', ')}` } as const);

  const endpoint = (v: string) =>
    /^(https?:\/\/)?[^\s/:]+(:\d{1,5})?(\/\S*)?$/.test(v.trim())
      ? ({ ok: true, value: v.trim() } as const)
      : ({
          ok: false,
          message: `"${v}" is not an OTLP endpoint such as http://jaeger.weft-system:4318`,
        } as const);
  const protocol = (v: string) =>
    v.trim() === 'grpc' || v.trim() === 'http/protobuf'
      ? ({ ok: true, value: v.trim() } as const)
      : ({ ok: false, message: `"${v}" is not grpc or http/protobuf` } as const);
  const ratio = (v: string) => {
    const n = Number(v.trim());
    return v.trim() !== '' && n >= 0 && n <= 1
      ? ({ ok: true, value: v.trim() } as const)
      : ({ ok: false, message: `"${v}" is not a sampling ratio from 0 to 1` } as const);
  };

  const onOff = (v: string) =>
    v.trim() === 'enabled' || v.trim() === 'disabled'
      ? ({ ok: true, value: v.trim() } as const)
      : ({ ok: false, message: `"${v}" is not enabled or disabled` } as const);

  const options: ProxyOptions = {
    cpu: pick(CONFIG_ANNOTATIONS.proxyCpu, defaults.cpu, quantity),
    memory: pick(CONFIG_ANNOTATIONS.proxyMemory, defaults.memory, quantity),
    skipInboundPorts: pick(CONFIG_ANNOTATIONS.skipInboundPorts, '', normalizePortList),
    skipOutboundPorts: pick(CONFIG_ANNOTATIONS.skipOutboundPorts, '', normalizePortList),
    skipOutboundCidrs: pick(CONFIG_ANNOTATIONS.skipOutboundCidrs, '', normalizeCidrList),
    opaquePorts: pick(
      CONFIG_ANNOTATIONS.opaquePorts,
      defaults.mesh.proxy.opaquePorts.join(','),
      expandPortList,
    ),
    inboundPolicy: pick(
      CONFIG_ANNOTATIONS.inboundPolicy,
      defaults.mesh.defaultInboundPolicy,
      policy,
    ) as InboundPolicyName,
    traceEndpoint: pick(CONFIG_ANNOTATIONS.traceEndpoint, '', endpoint),
    traceProtocol: pick(CONFIG_ANNOTATIONS.traceProtocol, '', protocol),
    traceSampling: pick(CONFIG_ANNOTATIONS.traceSampling, '', ratio),
    dnsCapture: pick(CONFIG_ANNOTATIONS.dnsCapture, 'disabled', onOff) === 'enabled',
  };
  return invalid ?? { type: 'ok', options };
}
