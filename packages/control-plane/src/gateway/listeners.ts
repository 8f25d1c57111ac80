/**
 * The listeners of the Gateways of one class: protocol, TLS certificates (ReferenceGrant,
 * parse, key match), the route kinds each allows, and conflicts across Gateways (the Gateway
 * created later loses the listener). Pure.
 */
import type {
  GatewayCertificate,
  GatewayResource,
  ListenerSpec,
  ReferenceGrantResource,
  TlsSecretResource,
} from '@weft/api';
import type { CertificateCheck } from './certificates.js';
import { condition, type StatusCondition } from './gateway-status.js';
import { referenceAllowed } from './reference-grants.js';

export const ROUTE_GROUP = 'gateway.networking.k8s.io';
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'] as const;

export interface ListenerInputs {
  readonly grants: readonly ReferenceGrantResource[];
  readonly secret: (namespace: string, name: string) => TlsSecretResource | undefined;
  readonly checkCertificate: (chain: string, key: string) => CertificateCheck;
}

/** One Gateway listener and what the translation decided about it. */
export interface ListenerState {
  readonly gateway: GatewayResource;
  readonly gatewayNamespace: string;
  readonly spec: ListenerSpec;
  /** "<gateway namespace>/<gateway name>/<listener name>". */
  readonly fullName: string;
  readonly protocol: 'HTTP' | 'HTTPS' | undefined;
  readonly supportedKinds: readonly string[];
  readonly certificates: readonly GatewayCertificate[];
  readonly conditions: StatusCondition[];
  /** Served (Programmed): a supported protocol, usable certificates, no conflict. */
  valid: boolean;
}

export function creationOf(meta: object): string {
  const ts = (meta as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof ts === 'string' ? ts : '';
}

/** Oldest first, then "{namespace}/{name}" alphabetically: the Gateway API's tie-break. */
export function byAge<T extends { metadata: { name: string; namespace?: string | undefined } }>(
  a: T,
  b: T,
): number {
  const ca = creationOf(a.metadata);
  const cb = creationOf(b.metadata);
  if (ca !== cb) return ca < cb ? -1 : 1;
  const na = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const nb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

function certificates(ns: string, spec: ListenerSpec, inputs: ListenerInputs, at: string) {
  const out: GatewayCertificate[] = [];
  const problems: { reason: string; message: string }[] = [];
  const refs = spec.tls?.certificateRefs ?? [];
  if (refs.length === 0)
    problems.push({
      reason: 'InvalidCertificateRef',
      message: `${at}.tls.certificateRefs: an HTTPS listener needs a certificate`,
    });
  for (const [i, ref] of refs.entries()) {
    const where = `${at}.tls.certificateRefs[${i}]`;
    const group = ref.group ?? '';
    if ((ref.kind ?? 'Secret') !== 'Secret' || (group !== '' && group !== 'core')) {
      problems.push({
        reason: 'InvalidCertificateRef',
        message: `${where}: only Secrets are supported, not ${ref.kind}`,
      });
      continue;
    }
    const secretNs = ref.namespace ?? ns;
    if (
      !referenceAllowed(inputs.grants, {
        fromGroup: ROUTE_GROUP,
        fromKind: 'Gateway',
        fromNamespace: ns,
        toGroup: '',
        toKind: 'Secret',
        toNamespace: secretNs,
        toName: ref.name,
      })
    ) {
      problems.push({
        reason: 'RefNotPermitted',
        message: `${where}: no ReferenceGrant in namespace ${secretNs} allows Gateways from ${ns} to refer to Secret ${ref.name}`,
      });
      continue;
    }
    const secret = inputs.secret(secretNs, ref.name);
    if (secret === undefined) {
      problems.push({
        reason: 'InvalidCertificateRef',
        message: `${where}: TLS Secret ${secretNs}/${ref.name} does not exist`,
      });
      continue;
    }
    const chain = decode(secret.data['tls.crt']);
    const key = decode(secret.data['tls.key']);
    const check = inputs.checkCertificate(chain, key);
    if (check.type === 'invalid') {
      problems.push({
        reason: 'InvalidCertificateRef',
        message: `${where}: Secret ${secretNs}/${ref.name}: ${check.message}`,
      });
      continue;
    }
    out.push({ name: `${secretNs}/${ref.name}`, certificateChainPem: chain, privateKeyPem: key });
  }
  return { certificates: out, problems };
}

function supportedKinds(spec: ListenerSpec, at: string): { kinds: string[]; invalid?: string } {
  const asked = spec.allowedRoutes?.kinds;
  if (asked === undefined) return { kinds: [...ROUTE_KINDS] };
  const kinds: string[] = [];
  const bad: string[] = [];
  for (const k of asked) {
    const group = k.group ?? ROUTE_GROUP;
    if (group === ROUTE_GROUP && (ROUTE_KINDS as readonly string[]).includes(k.kind)) kinds.push(k.kind);
    else bad.push(`${group}/${k.kind}`);
  }
  return bad.length === 0
    ? { kinds }
    : {
        kinds,
        invalid: `${at}.allowedRoutes.kinds: ${bad.join(', ')} not supported (HTTPRoute and GRPCRoute are)`,
      };
}

/** Builds every listener of `gateways` (sorted oldest first), marking conflicts. */
export function buildListeners(
  gateways: readonly GatewayResource[],
  inputs: ListenerInputs,
): ListenerState[] {
  const out: ListenerState[] = [];
  /** port -> protocol of the first valid listener on it; "port/hostname" -> its listener. */
  const portProtocol = new Map<number, { protocol: string; by: string }>();
  const taken = new Map<string, string>();
  for (const gw of [...gateways].sort(byAge)) {
    const ns = gw.metadata.namespace ?? 'default';
    for (const [i, spec] of gw.spec.listeners.entries()) {
      const at = `spec.listeners[${i}]`;
      const fullName = `${ns}/${gw.metadata.name}/${spec.name}`;
      const conditions: StatusCondition[] = [];
      const protocol = spec.protocol === 'HTTP' || spec.protocol === 'HTTPS' ? spec.protocol : undefined;
      const kinds = supportedKinds(spec, at);
      let valid = protocol !== undefined;
      let certs: GatewayCertificate[] = [];
      let refProblem: { reason: string; message: string } | undefined;
      if (protocol === undefined) {
        conditions.push(
          condition(
            'Accepted',
            false,
            'UnsupportedProtocol',
            `${at}.protocol: ${spec.protocol} is not supported (HTTP and HTTPS are)`,
          ),
        );
      } else if (protocol === 'HTTPS' && spec.tls?.mode === 'Passthrough') {
        valid = false;
        conditions.push(
          condition(
            'Accepted',
            false,
            'UnsupportedValue',
            `${at}.tls.mode: Passthrough is not supported (Terminate is)`,
          ),
        );
      } else {
        conditions.push(condition('Accepted', true, 'Accepted', 'listener accepted'));
      }
      if (valid && protocol === 'HTTPS') {
        const c = certificates(ns, spec, inputs, at);
        certs = c.certificates;
        refProblem = c.problems[0];
        // A bad certificate is left out; the listener serves while one good certificate remains.
        if (certs.length === 0) valid = false;
      }
      if (refProblem === undefined && kinds.invalid !== undefined)
        refProblem = { reason: 'InvalidRouteKinds', message: kinds.invalid };
      conditions.push(
        refProblem === undefined
          ? condition('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved')
          : condition('ResolvedRefs', false, refProblem.reason, refProblem.message),
      );
      const key = `${spec.port}/${spec.hostname ?? ''}`;
      const onPort = portProtocol.get(spec.port);
      let conflict: StatusCondition | undefined;
      if (protocol !== undefined) {
        if (onPort !== undefined && onPort.protocol !== protocol)
          conflict = condition(
            'Conflicted',
            true,
            'ProtocolConflict',
            `port ${spec.port} already serves ${onPort.protocol} for listener ${onPort.by}`,
          );
        else if (taken.has(key))
          conflict = condition(
            'Conflicted',
            true,
            'HostnameConflict',
            `port ${spec.port} hostname "${spec.hostname ?? ''}" is already served by listener ${taken.get(key)}`,
          );
      }
      if (conflict !== undefined) valid = false;
      conditions.push(conflict ?? condition('Conflicted', false, 'NoConflicts', 'no conflicts'));
      if (valid) {
        if (onPort === undefined) portProtocol.set(spec.port, { protocol: protocol as string, by: fullName });
        taken.set(key, fullName);
      }
      conditions.push(
        valid
          ? condition('Programmed', true, 'Programmed', 'listener programmed')
          : condition('Programmed', false, 'Invalid', 'listener is not served; see its other conditions'),
      );
      out.push({
        gateway: gw,
        gatewayNamespace: ns,
        spec,
        fullName,
        protocol,
        supportedKinds: kinds.kinds,
        certificates: certs,
        conditions,
        valid,
      });
    }
  }
  return out;
}
