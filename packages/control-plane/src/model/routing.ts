/**
 * Routes of one (apex) service from the TrafficSplits and HTTPRoutes attached to it: weighted
 * backends, matches in Gateway API precedence, and a condition for every attached resource.
 */
import type { Destination, HttpRouteResource, TrafficSplitResource } from '@weft/api';
import { type HttpMatch, httpMatch, httpMatchKey, retryMessage } from './http-match.js';
import { durationOf } from './policy.js';
import type { ServiceModel } from './service-model.js';

export type RouteMessage = NonNullable<Destination['routes']>[number];

/** Accepted, or rejected with a reason (a CamelCase word) and a message naming the field. */
export type Condition =
  | { readonly status: 'accepted' }
  | { readonly status: 'rejected'; readonly reason: string; readonly message: string };

/** A service port a route can send to. */
export interface BackendRef {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
}

/** The name of a backend in Destination.backends: "<service>.<namespace>:<port>". */
export function backendName(b: BackendRef): string {
  return `${b.service}.${b.namespace}:${b.port}`;
}

/** The routes of one apex service port. */
export interface PortRouting {
  readonly routes: RouteMessage[];
  readonly backends: BackendRef[];
}

export interface ApexRouting {
  /** Routes per apex port; a port absent here has the default route (the apex itself). */
  readonly byPort: ReadonlyMap<number, PortRouting>;
  /** Conditions of the splits and routes attached to the apex, by "Kind/ns/name". */
  readonly conditions: ReadonlyMap<string, Condition>;
}

type Lookup = (namespace: string, name: string) => ServiceModel | undefined;

function creation(meta: object): string {
  const ts = (meta as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof ts === 'string' ? ts : '';
}

function byAge<T extends { metadata: { name: string } }>(a: T, b: T): number {
  const ca = creation(a.metadata);
  const cb = creation(b.metadata);
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

const reject = (reason: string, message: string): Condition => ({ status: 'rejected', reason, message });

/**
 * A TrafficSplit service name as a Service name: SMI lets `spec.service` be the FQDN clients use
 * ("api.shop.svc.cluster.local"); in the split's own namespace that is the Service "api".
 */
export function splitServiceName(name: string, namespace: string): string {
  for (const suffix of [`.${namespace}.svc.cluster.local`, `.${namespace}.svc`, `.${namespace}`]) {
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return name;
}

/** Integer weights: fractional ones (v1alpha1 quantities like "500m") are scaled by 1000. */
function integerWeights(weights: readonly number[]): number[] {
  const scale = weights.some((w) => !Number.isInteger(w)) ? 1000 : 1;
  return weights.map((w) => Math.round(w * scale));
}

function checkSplit(apex: ServiceModel, split: TrafficSplitResource, lookup: Lookup): Condition {
  const ns = apex.namespace;
  const root = splitServiceName(split.spec.service, ns);
  for (const [i, raw] of split.spec.backends.entries()) {
    const b = { service: splitServiceName(raw.service, ns) };
    if (b.service === root) {
      return reject(
        'SelfReference',
        `spec.backends[${i}].service: "${raw.service}" is the split's own root service; a split cannot route to itself (give the root's pods a Service of their own, e.g. ${root}-primary, as Flagger does)`,
      );
    }
    if (lookup(ns, b.service) === undefined) {
      return reject(
        'BackendNotFound',
        `spec.backends[${i}].service: Service ${ns}/${b.service} does not exist`,
      );
    }
  }
  if (split.spec.backends.every((b) => b.weight === 0)) {
    return reject(
      'NoWeight',
      'spec.backends: every weight is 0; at least one backend needs a positive weight',
    );
  }
  return { status: 'accepted' };
}

function splitRouting(apex: ServiceModel, split: TrafficSplitResource): Map<number, PortRouting> {
  const weights = integerWeights(split.spec.backends.map((b) => b.weight));
  const out = new Map<number, PortRouting>();
  for (const sp of apex.ports) {
    const backends = split.spec.backends.map((b) => ({
      service: splitServiceName(b.service, apex.namespace),
      namespace: apex.namespace,
      port: sp.port,
    }));
    out.set(sp.port, {
      routes: [
        {
          name: `trafficsplit/${apex.namespace}/${split.metadata.name}`,
          matches: [],
          backends: backends.map((b, i) => ({ backend: backendName(b), weight: weights[i] as number })),
        },
      ],
      backends,
    });
  }
  return out;
}

/** The parent ports of `route` on `apex`, or a rejection; undefined when the route is not attached. */
function attachment(apex: ServiceModel, route: HttpRouteResource): number[] | Condition | undefined {
  const routeNs = route.metadata.namespace ?? 'default';
  const ports: number[] = [];
  let attached = false;
  for (const [i, p] of route.spec.parentRefs.entries()) {
    if ((p.kind ?? 'Gateway') !== 'Service' || ((p.group ?? '') !== '' && p.group !== 'core')) continue;
    if (p.name !== apex.name || (p.namespace ?? routeNs) !== apex.namespace) continue;
    attached = true;
    if (routeNs !== apex.namespace) {
      return reject(
        'NotAllowedByParent',
        `spec.parentRefs[${i}]: routes from another namespace (consumer routes) are not supported`,
      );
    }
    if (p.port === undefined) ports.push(...apex.ports.map((sp) => sp.port));
    else if (apex.ports.some((sp) => sp.port === p.port)) ports.push(p.port);
    else
      return reject(
        'NoMatchingParent',
        `spec.parentRefs[${i}].port: Service ${apex.namespace}/${apex.name} has no port ${p.port}`,
      );
  }
  return attached ? [...new Set(ports)] : undefined;
}

function validRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

function checkRules(route: HttpRouteResource, lookup: Lookup): Condition {
  const ns = route.metadata.namespace ?? 'default';
  for (const [i, rule] of route.spec.rules.entries()) {
    const refs = rule.backendRefs ?? [];
    if (refs.length === 0)
      return reject(
        'BackendNotFound',
        `spec.rules[${i}].backendRefs: at least one backend is required in the mesh`,
      );
    for (const [j, b] of refs.entries()) {
      const at = `spec.rules[${i}].backendRefs[${j}]`;
      if ((b.kind ?? 'Service') !== 'Service' || ((b.group ?? '') !== '' && b.group !== 'core')) {
        return reject('InvalidKind', `${at}: only Service backends are supported`);
      }
      if ((b.namespace ?? ns) !== ns)
        return reject('RefNotPermitted', `${at}.namespace: cross-namespace backends are not supported`);
      if (lookup(ns, b.name) === undefined)
        return reject('BackendNotFound', `${at}.name: Service ${ns}/${b.name} does not exist`);
    }
    if (refs.every((b) => b.weight === 0))
      return reject('NoWeight', `spec.rules[${i}].backendRefs: every weight is 0`);
    for (const [j, m] of (rule.matches ?? []).entries()) {
      const regexes = [
        ...(m.path?.type === 'RegularExpression' ? [m.path.value] : []),
        ...[...(m.headers ?? []), ...(m.queryParams ?? [])]
          .filter((h) => h.type === 'RegularExpression')
          .map((h) => h.value),
      ];
      const bad = regexes.find((r) => !validRegex(r));
      if (bad !== undefined)
        return reject(
          'UnsupportedValue',
          `spec.rules[${i}].matches[${j}]: invalid regular expression ${JSON.stringify(bad)}`,
        );
    }
  }
  return { status: 'accepted' };
}

function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function ruleRoutes(
  route: HttpRouteResource,
  port: number,
  order: number,
): { key: (number | string)[]; route: RouteMessage }[] {
  const ns = route.metadata.namespace ?? 'default';
  const out: { key: (number | string)[]; route: RouteMessage }[] = [];
  for (const [i, rule] of route.spec.rules.entries()) {
    const refs = rule.backendRefs ?? [];
    const weights = refs.map((b) => b.weight);
    const backends = refs.map((b, j) => ({
      backend: backendName({ service: b.name, namespace: ns, port: b.port ?? port }),
      weight: weights[j] as number,
    }));
    const retry = rule.retry;
    const base: Omit<RouteMessage, 'name' | 'matches'> = {
      backends,
      ...(rule.timeouts?.request === undefined ? {} : { requestTimeout: durationOf(rule.timeouts.request) }),
      ...(retry === undefined
        ? {}
        : {
            retry: {
              ...retryMessage(retry),
              ...(rule.timeouts?.backendRequest === undefined
                ? {}
                : { perTryTimeout: durationOf(rule.timeouts.backendRequest) }),
            },
          }),
    };
    const matches: HttpMatch[] = rule.matches?.length
      ? rule.matches
      : [{ path: { type: 'PathPrefix', value: '/' } }];
    for (const [j, m] of matches.entries()) {
      out.push({
        key: [...httpMatchKey(m), order, i, j],
        route: {
          name: `httproute/${ns}/${route.metadata.name}/rule-${i}${matches.length > 1 ? `/match-${j}` : ''}`,
          matches: [httpMatch(m)],
          ...base,
        },
      });
    }
  }
  return out;
}

/**
 * Routes the apex service. HTTPRoutes attached to a port win over a TrafficSplit there; of
 * several splits the oldest wins and the others are rejected as conflicting.
 */
export function routeApex(
  apex: ServiceModel,
  splits: readonly TrafficSplitResource[],
  routes: readonly HttpRouteResource[],
  lookup: Lookup,
): ApexRouting {
  const conditions = new Map<string, Condition>();
  const byPort = new Map<number, PortRouting>();
  let winner: TrafficSplitResource | undefined;
  for (const split of [...splits].sort(byAge)) {
    const key = `TrafficSplit/${apex.namespace}/${split.metadata.name}`;
    const c = checkSplit(apex, split, lookup);
    if (c.status === 'accepted' && winner !== undefined) {
      conditions.set(
        key,
        reject(
          'Conflicted',
          `TrafficSplit ${apex.namespace}/${winner.metadata.name} already splits Service ${apex.name}`,
        ),
      );
    } else {
      conditions.set(key, c);
      if (c.status === 'accepted') winner = split;
    }
  }
  if (winner !== undefined) for (const [port, r] of splitRouting(apex, winner)) byPort.set(port, r);

  const perPort = new Map<number, { key: (number | string)[]; route: RouteMessage }[]>();
  for (const [order, route] of [...routes].sort(byAge).entries()) {
    const key = `HTTPRoute/${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
    const ports = attachment(apex, route);
    if (ports === undefined) continue;
    if (!Array.isArray(ports)) {
      conditions.set(key, ports);
      continue;
    }
    const c = checkRules(route, lookup);
    conditions.set(key, c);
    if (c.status !== 'accepted') continue;
    for (const port of ports) {
      const list = perPort.get(port) ?? [];
      list.push(...ruleRoutes(route, port, order));
      perPort.set(port, list);
    }
  }
  for (const [port, list] of perPort) {
    list.sort((a, b) => compareKeys(a.key, b.key));
    const backends = new Map<string, BackendRef>();
    for (const { route } of list) {
      for (const wb of route.backends ?? []) {
        const [svcNs, p] = (wb.backend as string).split(':') as [string, string];
        const dot = svcNs.lastIndexOf('.');
        backends.set(wb.backend as string, {
          service: svcNs.slice(0, dot),
          namespace: svcNs.slice(dot + 1),
          port: Number(p),
        });
      }
    }
    byPort.set(port, { routes: list.map((l) => l.route), backends: [...backends.values()] });
  }
  return { byPort, conditions };
}
