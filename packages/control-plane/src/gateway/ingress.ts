/**
 * networking.k8s.io/v1 Ingresses of a class as gateway listeners. Every Ingress of the class
 * shares one virtual host table (as with any ingress controller), so they become one HTTP
 * listener on port 80 and, when any names a usable TLS Secret, one HTTPS listener on 443, named
 * after the oldest Ingress ("ingress/<namespace>/<name>/http" and ".../https"); each route keeps
 * its own Ingress's name. Order: the most specific host, then Exact before the longest Prefix
 * (ImplementationSpecific is a Prefix), then the oldest Ingress; default backends come last.
 * Ingress v1 has no status conditions, so what cannot be served (a port a Gateway listener
 * holds, an unusable TLS Secret, a missing backend) is returned as problems to log and count. Pure.
 */
import type {
  GatewayCertificate,
  GatewayListener,
  GatewayRoute,
  IngressBackend,
  IngressResource,
  ReferenceGrantResource,
  TlsSecretResource,
} from '@weft/api';
import type { ServiceModel } from '../model/service-model.js';
import type { ResourceRef } from '../sources/config-source.js';
import type { CertificateCheck } from './certificates.js';
import { hostnameKey } from './hostnames.js';
import { byAge, creationOf } from './listeners.js';

export interface IngressContext {
  readonly grants: readonly ReferenceGrantResource[];
  readonly service: (namespace: string, name: string) => ServiceModel | undefined;
  readonly secret: (namespace: string, name: string) => TlsSecretResource | undefined;
  readonly checkCertificate: (chain: string, key: string) => CertificateCheck;
  readonly clusterDomain: string;
}

/** Something of an Ingress weft cannot serve; `message` names the field and never quotes secret data. */
export interface IngressProblem {
  readonly ref: ResourceRef;
  /** PortTaken, SecretNotFound, InvalidCertificateRef, BackendNotFound or InvalidKind. */
  readonly reason: string;
  readonly message: string;
}

export interface IngressTranslation {
  readonly listeners: GatewayListener[];
  readonly problems: IngressProblem[];
}

function backendOf(
  b: IngressBackend,
  ns: string,
  at: string,
  ctx: IngressContext,
  problem: (reason: string, message: string) => void,
): GatewayRoute['backends'] {
  if (b.service === undefined) {
    const kind = b.resource?.kind ?? '?';
    problem('InvalidKind', `${at}.resource: ${kind} backends are not supported`);
    return [
      {
        authority: `${b.resource?.name}.${ns}`,
        weight: 1,
        unresolvedReason: `InvalidKind: ${at}.resource: ${kind} backends are not supported`,
      },
    ];
  }
  const svc = ctx.service(ns, b.service.name);
  const byName = b.service.port.name;
  const port = byName === undefined ? b.service.port.number : svc?.ports.find((p) => p.name === byName)?.port;
  const authority = `${b.service.name}.${ns}.svc.${ctx.clusterDomain}:${port ?? 0}`;
  let missing: string | undefined;
  if (svc === undefined) missing = `${at}.service.name: Service ${ns}/${b.service.name} does not exist`;
  else if (port === undefined || !svc.ports.some((p) => p.port === port))
    missing = `${at}.service.port: Service ${ns}/${b.service.name} has no port ${byName ?? port}`;
  if (missing !== undefined) problem('BackendNotFound', missing);
  const unresolved = missing === undefined ? undefined : `BackendNotFound: ${missing}`;
  return [{ authority, weight: 1, ...(unresolved === undefined ? {} : { unresolvedReason: unresolved }) }];
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * The listeners for `ingresses` (one class); none on a port a Gateway listener already serves for
 * any host. Every problem is returned once per Ingress and field.
 */
export function translateIngresses(
  ingresses: readonly IngressResource[],
  gatewayListeners: readonly GatewayListener[],
  ctx: IngressContext,
): IngressTranslation {
  const sorted = [...ingresses].sort(byAge);
  const first = sorted[0];
  if (first === undefined) return { listeners: [], problems: [] };
  const entries: { key: (number | string)[]; route: GatewayRoute }[] = [];
  const certificates = new Map<string, GatewayCertificate>();
  const problems: IngressProblem[] = [];
  const holder = (port: number) => gatewayListeners.find((l) => l.port === port);
  const http = holder(80);
  const https = holder(443);
  for (const ing of sorted) {
    const ns = ing.metadata.namespace ?? 'default';
    const ref: ResourceRef = { kind: 'Ingress', namespace: ns, name: ing.metadata.name };
    const problem = (reason: string, message: string) => problems.push({ ref, reason, message });
    const age = [creationOf(ing.metadata), `${ns}/${ing.metadata.name}`];
    for (const [ri, rule] of (ing.spec.rules ?? []).entries()) {
      for (const [pi, p] of (rule.http?.paths ?? []).entries()) {
        const path = p.path ?? '/';
        const exact = p.pathType === 'Exact';
        entries.push({
          key: [...hostnameKey(rule.host), 0, exact ? 0 : 1, exact ? 0 : -path.length, ...age, ri, pi],
          route: {
            name: `Ingress/${ns}/${ing.metadata.name}/${ri}`,
            hostnames: rule.host === undefined ? [] : [rule.host],
            matches: [
              { path: exact ? { exact: path } : { prefix: path }, method: '', headers: [], queryParams: [] },
            ],
            filters: [],
            backends: backendOf(p.backend, ns, `spec.rules[${ri}].http.paths[${pi}].backend`, ctx, problem),
          },
        });
      }
    }
    if (ing.spec.defaultBackend !== undefined)
      entries.push({
        key: [3, 0, 0, 0, 0, ...age, 0, 0],
        route: {
          name: `Ingress/${ns}/${ing.metadata.name}/default`,
          hostnames: [],
          matches: [],
          filters: [],
          backends: backendOf(ing.spec.defaultBackend, ns, 'spec.defaultBackend', ctx, problem),
        },
      });
    if (http !== undefined)
      problem(
        'PortTaken',
        `spec: port 80 is served by Gateway listener ${http.name}, so this Ingress's routes are not served over HTTP`,
      );
    for (const [ti, tls] of (ing.spec.tls ?? []).entries()) {
      if (tls.secretName === undefined) continue;
      const name = `${ns}/${tls.secretName}`;
      const at = `spec.tls[${ti}].secretName`;
      if (https !== undefined) {
        problem(
          'PortTaken',
          `${at}: port 443 is served by Gateway listener ${https.name}, so this Ingress's routes are not served over HTTPS`,
        );
        continue;
      }
      if (certificates.has(name)) continue;
      const secret = ctx.secret(ns, tls.secretName);
      if (secret === undefined) {
        problem('SecretNotFound', `${at}: TLS Secret ${name} does not exist`);
        continue;
      }
      const chain = decode(secret.data['tls.crt']);
      const key = decode(secret.data['tls.key']);
      const check = ctx.checkCertificate(chain, key);
      if (check.type === 'ok')
        certificates.set(name, { name, certificateChainPem: chain, privateKeyPem: key });
      else problem('InvalidCertificateRef', `${at}: TLS Secret ${name}: ${check.message}`);
    }
  }
  const routes = entries
    .sort((a, b) => {
      for (let i = 0; i < Math.max(a.key.length, b.key.length); i++) {
        const x = a.key[i] ?? 0;
        const y = b.key[i] ?? 0;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    })
    .map((e) => e.route);
  const base = `ingress/${first.metadata.namespace ?? 'default'}/${first.metadata.name}`;
  const out: GatewayListener[] = [];
  if (http === undefined)
    out.push({
      name: `${base}/http`,
      port: 80,
      protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
      hostname: '',
      certificates: [],
      routes,
    });
  if (certificates.size > 0 && https === undefined)
    out.push({
      name: `${base}/https`,
      port: 443,
      protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
      hostname: '',
      certificates: [...certificates.values()],
      routes,
    });
  return { listeners: out, problems };
}
