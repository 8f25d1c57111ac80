/**
 * The control plane's read-only dashboard API on its admin port:
 * `GET /dashboard/v1/snapshot` (the shared snapshot of the feed) and
 * `GET /dashboard/v1/proxy-config?id=ID` (what the control plane serves that proxy now: its mesh
 * config and each subscribed destination, with the versions it ACKed or NACKed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DNS_PREFIX } from '../discovery/resource-for.js';
import type { ResourceBuilder } from '../model/resource-builder.js';
import type { DashboardFeed, StreamInfo } from './dashboard-feed.js';

/** Handles a `/dashboard/…` request; false when the path is not one of its own. */
export type DashboardRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** At most this many subscriptions are expanded in one proxy-config answer. */
export const MAX_CONFIG_SUBSCRIPTIONS = 200;

/** The config the control plane serves one proxy (undefined: no such stream). */
export function proxyConfig(
  streams: readonly StreamInfo[],
  builder: ResourceBuilder,
  id: string,
): Record<string, unknown> | undefined {
  const s = streams.find((x) => x.id === id);
  if (s === undefined) return undefined;
  const namespace = /\/ns\/([^/]+)\//.exec(s.identity)?.[1] ?? '';
  const destinations: Record<string, unknown> = {};
  for (const name of s.subscriptions.slice(0, MAX_CONFIG_SUBSCRIPTIONS)) {
    if (name.startsWith(DNS_PREFIX)) {
      const d = builder.dnsRecord(name.slice(DNS_PREFIX.length), `${namespace}/${s.workload}`);
      destinations[name] = d.type === 'record' ? d.message : { doesNotExist: d.reason };
      continue;
    }
    const r = builder.resolve(name, namespace);
    if (r.type === 'not-found') {
      destinations[name] = { doesNotExist: r.reason };
      continue;
    }
    const d = builder.destination(r.namespace, r.service, r.port);
    destinations[name] = d.type === 'destination' ? d.message : { doesNotExist: d.reason };
  }
  return {
    id: s.id,
    identity: s.identity,
    workload: s.workload,
    version: s.proxyVersion,
    acked: s.acked,
    rejected: s.rejected,
    lastNack: s.lastNack ?? null,
    mesh: builder.meshConfig().message,
    destinations,
    truncated: s.subscriptions.length > MAX_CONFIG_SUBSCRIPTIONS,
  };
}

/** The routes over a feed and the model. */
export function dashboardRoutes(
  feed: DashboardFeed,
  streams: () => readonly StreamInfo[],
  builder: ResourceBuilder,
): DashboardRoutes {
  return async (req, res, path) => {
    if (path === '/dashboard/v1/snapshot') {
      json(res, 200, await feed.snapshot());
      return true;
    }
    if (path === '/dashboard/v1/proxy-config') {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
      const config = id.length > 256 ? undefined : proxyConfig(streams(), builder, id);
      if (config === undefined) json(res, 404, { error: `no connected proxy with id "${id.slice(0, 256)}"` });
      else json(res, 200, config);
      return true;
    }
    return false;
  };
}
