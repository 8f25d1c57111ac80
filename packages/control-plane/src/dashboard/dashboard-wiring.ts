/** Wires the dashboard feed and routes to a control plane (one registration line there). */
import { gatherProxyMetrics } from '../admin/proxy-metrics.js';
import type { DiscoveryService } from '../discovery/discovery-service.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { MeshState } from '../model/mesh-state.js';
import type { ResourceBuilder } from '../model/resource-builder.js';
import { DashboardFeed, type StreamInfo } from './dashboard-feed.js';
import { type DashboardRoutes, dashboardRoutes } from './dashboard-routes.js';
import { meshView } from './mesh-view.js';

/** How the control plane's binary describes itself to the dashboard. */
export interface DashboardOptions {
  /** `local` (folder of manifests) or `kubernetes`; default `local`. */
  readonly mode?: 'local' | 'kubernetes';
  /** The trust anchor's and issuer's notAfter (Unix ms). */
  readonly trust?: () => { anchorNotAfter: number; issuerNotAfter: number };
  /** Refresh period (ms); default 2000. */
  readonly intervalMs?: number;
}

/**
 * What the dashboard reads from a control plane. ControlPlane satisfies it; naming these parts
 * here (not importing ControlPlane) keeps control-plane.ts -> this file one way.
 */
export interface DashboardHost {
  readonly discovery: Pick<DiscoveryService, 'debug' | 'proxyAdminEndpoints'>;
  readonly metrics: Pick<ControlPlaneMetrics, 'registry'>;
  readonly state: MeshState;
  readonly builder: ResourceBuilder;
}

/** The dashboard routes of `cp`: one feed, shared by every client. */
export function dashboardFor(cp: DashboardHost, options: DashboardOptions = {}): DashboardRoutes {
  const streams = () => cp.discovery.debug() as StreamInfo[];
  const feed = new DashboardFeed({
    mode: options.mode ?? 'local',
    proxies: () => cp.discovery.proxyAdminEndpoints(),
    streams,
    // More at once than `weft stat`'s gather: 1,000 proxies within one 2 s interval.
    gather: (proxies) => gatherProxyMetrics(proxies, { concurrency: 64, timeoutMs: 1500 }),
    ownMetrics: () => cp.metrics.registry.metrics(),
    mesh: () => meshView(cp.state, cp.builder),
    ...(options.trust === undefined ? {} : { trust: options.trust }),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  return dashboardRoutes(feed, streams, cp.builder);
}
