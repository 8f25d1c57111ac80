/**
 * The ingress gateway's translation: the Gateways of weft's GatewayClasses, the HTTPRoutes and
 * GRPCRoutes attached to them and the Ingresses of the class become one GatewayConfig per class,
 * plus the status every one of those resources should have. Pure: the mesh state calls it with
 * what it holds whenever one of the inputs changed.
 */
import {
  GATEWAY_CONTROLLER_NAME,
  type GatewayClassResource,
  type GatewayConfig,
  type GatewayListener,
  type GatewayResource,
  type GatewayRoute,
  type GrpcRouteResource,
  type HttpRouteResource,
  type IngressResource,
  type ParentRef,
} from '@weft/api';
import { selectorMatches } from '../model/label-selector.js';
import type { ServiceModel } from '../model/service-model.js';
import type { ResourceKind } from '../sources/config-source.js';
import type { CertificateCheck } from './certificates.js';
import {
  condition,
  type GatewayAddress,
  type GatewayStatusEntry,
  type ListenerStatus,
  type StatusCondition,
} from './gateway-status.js';
import { hostnameKey, hostnamesOverlap, intersectHostnames } from './hostnames.js';
import { type IngressProblem, translateIngresses } from './ingress.js';
import { buildListeners, type ListenerInputs, type ListenerState, ROUTE_GROUP } from './listeners.js';
import { type TranslatedRoute, translateRoute } from './route-rules.js';

/** The IngressClass name weft serves when no GatewayClass of that name asks for more. */
export const DEFAULT_GATEWAY_CLASS = 'weft';

export interface GatewayInputs extends ListenerInputs {
  readonly gatewayClasses: readonly GatewayClassResource[];
  readonly gateways: readonly GatewayResource[];
  readonly httpRoutes: readonly HttpRouteResource[];
  readonly grpcRoutes: readonly GrpcRouteResource[];
  readonly ingresses: readonly IngressResource[];
  readonly service: (namespace: string, name: string) => ServiceModel | undefined;
  readonly namespaceLabels: (namespace: string) => Readonly<Record<string, string>>;
  readonly clusterDomain: string;
  readonly checkCertificate: (chain: string, key: string) => CertificateCheck;
  /** Where clients reach the gateway (reported on every Gateway), when known. */
  readonly addresses?: readonly GatewayAddress[];
}

export interface GatewayTranslation {
  /** By class name: weft's GatewayClasses, and "weft" (Ingresses) always. */
  readonly configs: ReadonlyMap<string, GatewayConfig>;
  readonly statuses: readonly GatewayStatusEntry[];
  /** What of the Ingresses cannot be served (Ingress v1 has no status conditions to say it). */
  readonly ingressProblems: readonly IngressProblem[];
}

interface Attachment {
  readonly route: TranslatedRoute;
  readonly hostnames: readonly string[];
}

type Key = readonly (number | string)[];

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The listener's routes in the Gateway API's precedence order (first match wins). */
export function orderRoutes(attachments: readonly Attachment[]): GatewayRoute[] {
  const entries: { key: Key; route: GatewayRoute }[] = [];
  for (const { route, hostnames } of attachments) {
    const hosts: (string | undefined)[] = hostnames.length === 0 ? [undefined] : [...hostnames];
    for (const host of hosts) {
      for (const rule of route.rules) {
        for (const m of rule.matches) {
          entries.push({
            key: [
              ...hostnameKey(host),
              route.kind === 'HTTPRoute' ? 0 : 1,
              ...m.key,
              route.creationTimestamp,
              `${route.namespace}/${route.name}`,
              rule.index,
              m.matchIndex,
            ],
            route: {
              name: `${route.kind}/${route.namespace}/${route.name}/${rule.index}`,
              hostnames: host === undefined ? [] : [host],
              matches: m.match === undefined ? [] : [m.match],
              ...rule.base,
            },
          });
        }
      }
    }
  }
  return entries.sort((a, b) => compareKeys(a.key, b.key)).map((e) => e.route);
}

function statusParentRef(p: ParentRef): Record<string, unknown> {
  return {
    group: p.group ?? ROUTE_GROUP,
    kind: p.kind ?? 'Gateway',
    name: p.name,
    ...(p.namespace === undefined ? {} : { namespace: p.namespace }),
    ...(p.sectionName === undefined ? {} : { sectionName: p.sectionName }),
    ...(p.port === undefined ? {} : { port: p.port }),
  };
}

function allows(
  l: ListenerState,
  route: TranslatedRoute,
  labels: (ns: string) => Readonly<Record<string, string>>,
) {
  if (!l.supportedKinds.includes(route.kind)) return false;
  const ns = l.spec.allowedRoutes?.namespaces;
  switch (ns?.from ?? 'Same') {
    case 'All':
      return true;
    case 'Same':
      return route.namespace === l.gatewayNamespace;
    case 'Selector':
      return ns?.selector !== undefined && selectorMatches(ns.selector, labels(route.namespace));
    default:
      return false;
  }
}

/** A parentRef that does not attach the route, and why (Accepted=False with `reason`). */
function notAccepted(reason: string, message: string): { type: 'rejected'; cond: StatusCondition } {
  return { type: 'rejected', cond: condition('Accepted', false, reason, message) };
}

/** Where one parentRef attaches the route: listeners with hostnames, or why not (Accepted=False). */
function attach(
  route: TranslatedRoute,
  p: ParentRef,
  listeners: readonly ListenerState[],
  labels: (ns: string) => Readonly<Record<string, string>>,
):
  | { type: 'attached'; to: { listener: ListenerState; hostnames: string[] }[] }
  | { type: 'rejected'; cond: StatusCondition } {
  const named = listeners.filter(
    (l) =>
      (p.sectionName === undefined || l.spec.name === p.sectionName) &&
      (p.port === undefined || l.spec.port === p.port),
  );
  const candidates = named.filter((l) => l.valid);
  if (candidates.length === 0) {
    const what = [
      p.sectionName === undefined ? '' : ` sectionName ${p.sectionName}`,
      p.port === undefined ? '' : ` port ${p.port}`,
    ].join('');
    return notAccepted(
      'NoMatchingParent',
      named.length === 0
        ? `Gateway ${p.name} has no listener with${what || ' any name'}`
        : `the listeners${what} of Gateway ${p.name} are not programmed`,
    );
  }
  const allowed = candidates.filter((l) => allows(l, route, labels));
  if (allowed.length === 0)
    return notAccepted(
      'NotAllowedByListeners',
      `no listener of Gateway ${p.name} allows ${route.kind}s from namespace ${route.namespace}`,
    );
  const to = allowed.flatMap((listener) => {
    const hostnames = intersectHostnames(listener.spec.hostname, route.hostnames);
    return hostnames === undefined ? [] : [{ listener, hostnames }];
  });
  if (to.length === 0)
    return notAccepted(
      'NoMatchingListenerHostname',
      `no hostname of the route matches a listener hostname of Gateway ${p.name}`,
    );
  return { type: 'attached', to };
}

/** One parent status of a route, and the listeners that parent attached it to. */
interface ParentAttachment {
  readonly parentRef: Record<string, unknown>;
  accepted: StatusCondition;
  readonly resolved: StatusCondition;
  readonly listeners: ListenerState[];
}

function routeKey(route: TranslatedRoute): string {
  return `${route.kind}/${route.namespace}/${route.name}`;
}

function routeStatus(
  route: TranslatedRoute,
  parentRefs: readonly ParentRef[],
  gateways: ReadonlyMap<string, readonly ListenerState[]>,
  attached: Map<ListenerState, Map<string, Attachment>>,
  labels: (ns: string) => Readonly<Record<string, string>>,
): ParentAttachment[] {
  const parents: ParentAttachment[] = [];
  const resolved: StatusCondition =
    route.backendProblems[0] === undefined
      ? condition('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved')
      : condition('ResolvedRefs', false, route.backendProblems[0].reason, route.backendProblems[0].message);
  for (const p of parentRefs) {
    if ((p.group ?? ROUTE_GROUP) !== ROUTE_GROUP || (p.kind ?? 'Gateway') !== 'Gateway') continue;
    const listeners = gateways.get(`${p.namespace ?? route.namespace}/${p.name}`);
    // Not a Gateway of weft's classes: its own controller writes this parent's status.
    if (listeners === undefined) continue;
    let accepted: StatusCondition;
    const to: ListenerState[] = [];
    if (route.unsupported !== undefined)
      accepted = condition('Accepted', false, 'UnsupportedValue', route.unsupported);
    else {
      const a = attach(route, p, listeners, labels);
      if (a.type === 'rejected') accepted = a.cond;
      else {
        accepted = condition('Accepted', true, 'Accepted', 'route accepted');
        for (const { listener, hostnames } of a.to) {
          let m = attached.get(listener);
          if (m === undefined) {
            m = new Map();
            attached.set(listener, m);
          }
          m.set(routeKey(route), { route, hostnames });
          to.push(listener);
        }
      }
    }
    parents.push({ parentRef: statusParentRef(p), accepted, resolved, listeners: to });
  }
  return parents;
}

function routeAge(a: TranslatedRoute, b: TranslatedRoute): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  const na = `${a.namespace}/${a.name}`;
  const nb = `${b.namespace}/${b.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * An HTTPRoute and a GRPCRoute on one listener with intersecting hostnames: the spec accepts
 * exactly one, the older (then "{namespace}/{name}" first). Drops the losers from the listener
 * and returns them as "<route key>\n<listener>".
 */
function resolveKindConflicts(attached: Map<ListenerState, Map<string, Attachment>>): Set<string> {
  const lost = new Set<string>();
  for (const [listener, routes] of attached) {
    const all = [...routes.values()].sort((a, b) => routeAge(a.route, b.route));
    const kept: Attachment[] = [];
    for (const a of all) {
      const clash = kept.some(
        (k) => k.route.kind !== a.route.kind && hostnamesOverlap(k.hostnames, a.hostnames),
      );
      if (clash) {
        routes.delete(routeKey(a.route));
        lost.add(`${routeKey(a.route)}\n${listener.fullName}`);
      } else kept.push(a);
    }
  }
  return lost;
}

function ref(kind: ResourceKind, namespace: string, name: string) {
  return { kind, namespace, name };
}

/** Translates everything of weft's gateway classes (see the module comment). */
export function translateGateways(inputs: GatewayInputs): GatewayTranslation {
  const statuses: GatewayStatusEntry[] = [];
  const classes = inputs.gatewayClasses.filter((c) => c.spec.controllerName === GATEWAY_CONTROLLER_NAME);
  for (const c of classes)
    statuses.push({
      ref: ref('GatewayClass', '', c.metadata.name),
      status: {
        kind: 'GatewayClass',
        conditions: [condition('Accepted', true, 'Accepted', 'handled by the weft gateway')],
      },
    });
  const classNames = new Set([DEFAULT_GATEWAY_CLASS, ...classes.map((c) => c.metadata.name)]);
  const ours = new Set(classes.map((c) => c.metadata.name));
  const listenersByClass = new Map<string, ListenerState[]>();
  const byGateway = new Map<string, ListenerState[]>();
  for (const name of classNames) {
    const gateways = inputs.gateways.filter((g) => ours.has(name) && g.spec.gatewayClassName === name);
    const listeners = buildListeners(gateways, inputs);
    listenersByClass.set(name, listeners);
    for (const l of listeners) {
      const key = `${l.gatewayNamespace}/${l.gateway.metadata.name}`;
      const list = byGateway.get(key) ?? [];
      list.push(l);
      byGateway.set(key, list);
    }
  }
  const ctx = { grants: inputs.grants, service: inputs.service, clusterDomain: inputs.clusterDomain };
  const attached = new Map<ListenerState, Map<string, Attachment>>();
  const routes: [TranslatedRoute, readonly ParentRef[]][] = [
    ...inputs.httpRoutes.map(
      (r) => [translateRoute('HTTPRoute', r, ctx), r.spec.parentRefs] as [TranslatedRoute, ParentRef[]],
    ),
    ...inputs.grpcRoutes.map(
      (r) => [translateRoute('GRPCRoute', r, ctx), r.spec.parentRefs] as [TranslatedRoute, ParentRef[]],
    ),
  ];
  const parentsOf = routes.map(
    ([route, parentRefs]) =>
      [route, routeStatus(route, parentRefs, byGateway, attached, inputs.namespaceLabels)] as const,
  );
  const lost = resolveKindConflicts(attached);
  for (const [route, parents] of parentsOf) {
    if (parents.length === 0) continue;
    for (const p of parents) {
      if (p.listeners.length > 0 && p.listeners.every((l) => lost.has(`${routeKey(route)}\n${l.fullName}`)))
        p.accepted = condition(
          'Accepted',
          false,
          'Conflicted',
          `an older ${route.kind === 'HTTPRoute' ? 'GRPCRoute' : 'HTTPRoute'} serves the same hostnames on every listener this parent allows`,
        );
    }
    statuses.push({
      ref: ref(route.kind, route.namespace, route.name),
      status: {
        kind: route.kind,
        parents: parents.map((p) => ({ parentRef: p.parentRef, conditions: [p.accepted, p.resolved] })),
      },
    });
  }
  const configs = new Map<string, GatewayConfig>();
  const ingressProblems: IngressProblem[] = [];
  for (const [name, listeners] of listenersByClass) {
    const out: GatewayListener[] = [];
    for (const l of listeners) {
      if (!l.valid) continue;
      out.push({
        name: l.fullName,
        port: l.spec.port,
        protocol:
          l.protocol === 'HTTPS' ? 'GATEWAY_LISTENER_PROTOCOL_HTTPS' : 'GATEWAY_LISTENER_PROTOCOL_HTTP',
        hostname: l.spec.hostname ?? '',
        certificates: [...l.certificates],
        routes: orderRoutes([...(attached.get(l)?.values() ?? [])]),
      });
    }
    const ingresses = inputs.ingresses.filter((i) => ingressClassOf(i) === name);
    const ing = translateIngresses(ingresses, out, {
      ...ctx,
      secret: inputs.secret,
      checkCertificate: inputs.checkCertificate,
    });
    out.push(...ing.listeners);
    ingressProblems.push(...ing.problems);
    configs.set(name, { listeners: out });
  }
  for (const [key, listeners] of byGateway) {
    const gw = (listeners[0] as ListenerState).gateway;
    const programmed = listeners.some((l) => l.valid);
    const listenerStatuses: ListenerStatus[] = listeners.map((l) => ({
      name: l.spec.name,
      supportedKinds: l.supportedKinds.map((kind) => ({ group: ROUTE_GROUP, kind })),
      attachedRoutes: attached.get(l)?.size ?? 0,
      conditions: l.conditions,
    }));
    const [ns, name] = [key.slice(0, key.indexOf('/')), gw.metadata.name];
    statuses.push({
      ref: ref('Gateway', ns, name),
      status: {
        kind: 'Gateway',
        conditions: [
          condition('Accepted', true, 'Accepted', 'handled by the weft gateway'),
          programmed
            ? condition('Programmed', true, 'Programmed', 'listeners are in the gateway configuration')
            : condition(
                'Programmed',
                false,
                'Invalid',
                'no listener can be served; see the listener conditions',
              ),
        ],
        listeners: listenerStatuses,
        addresses: inputs.addresses ?? [],
      },
    });
  }
  return { configs, statuses, ingressProblems };
}

/** The class an Ingress asks for: spec.ingressClassName, else the legacy annotation. */
export function ingressClassOf(i: IngressResource): string | undefined {
  return i.spec.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class'];
}
