/** The resource one subscribed name resolves to for one proxy, and the model keys it depends on. */
import type { Resource } from '@weft/api';
import { contentVersion, type ResourceBuilder } from '../model/resource-builder.js';
import type { ProxySession } from './proxy-session.js';
import { GATEWAY, INBOUND, MESH } from './stream-connection.js';

/** Subscriptions for a DNS name: `dns:name.namespace.svc.<cluster-domain>`. */
export const DNS_PREFIX = 'dns:';

export interface NamedResource {
  readonly version: string;
  readonly resource: Resource;
  /** Model keys whose change recomputes this name; undefined when nothing is watched (mesh). */
  readonly watch?: readonly string[];
}

/** Builds the resource for `name` (`mesh`, `inbound`, or a subscription of `session`). */
export function resourceFor(builder: ResourceBuilder, session: ProxySession, name: string): NamedResource {
  if (name === MESH) {
    const m = builder.meshConfig();
    return { version: m.version, resource: { name: MESH, version: m.version, meshConfig: m.message } };
  }
  if (name === GATEWAY) {
    const g = builder.gatewayConfig(session.gatewayClass);
    return {
      version: g.version,
      resource: { name: GATEWAY, version: g.version, gatewayConfig: g.message },
      watch: g.watch,
    };
  }
  if (name === INBOUND) {
    const inbound = builder.inbound(session.workload);
    return {
      version: inbound.version,
      resource: { name: INBOUND, version: inbound.version, inboundPolicy: inbound.message },
      watch: inbound.watch,
    };
  }
  if (name.startsWith(DNS_PREFIX)) {
    const client = `${session.workload.namespace}/${session.workload.workload}`;
    const r = builder.dnsRecord(name.slice(DNS_PREFIX.length), client);
    session.subscriptions.set(
      name,
      r.type === 'record'
        ? { type: 'service', namespace: '', service: '', port: 0, watch: r.watch }
        : { type: 'not-found', reason: r.reason, watch: r.watch },
    );
    const resource: Resource =
      r.type === 'record'
        ? { name, version: r.version, dnsRecord: r.message }
        : { name, version: r.version, doesNotExist: { reason: r.reason } };
    return { version: r.version, resource, watch: r.watch };
  }
  const resolution = builder.resolve(name, session.identity.namespace);
  session.subscriptions.set(name, resolution);
  if (resolution.type === 'not-found') {
    const version = contentVersion(resolution.reason);
    return {
      version,
      resource: { name, version, doesNotExist: { reason: resolution.reason } },
      watch: resolution.watch,
    };
  }
  const d = builder.destination(resolution.namespace, resolution.service, resolution.port);
  const resource: Resource =
    d.type === 'destination'
      ? { name, version: d.version, destination: d.message }
      : { name, version: d.version, doesNotExist: { reason: d.reason } };
  return { version: d.version, resource, watch: resolution.watch };
}
