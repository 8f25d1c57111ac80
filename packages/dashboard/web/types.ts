/** The snapshot the page receives: the control plane's types, imported as types only (nothing is bundled). */

export type {
  BackendStats,
  Edge,
  Golden,
  RouteStats,
  WorkloadNode,
} from '../../control-plane/src/dashboard/aggregate.js';
export type {
  DashboardSnapshot as Snapshot,
  ProxyView,
} from '../../control-plane/src/dashboard/dashboard-feed.js';
export type { RejectedView, ServiceView } from '../../control-plane/src/dashboard/mesh-view.js';

/** What `GET /api/info` answers. */
export interface Info {
  readonly mode: 'local' | 'kubernetes';
  readonly source: string;
  readonly jaegerUrl: string | null;
  readonly intervalMs: number;
}
