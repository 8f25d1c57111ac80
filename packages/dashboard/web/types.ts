/** The snapshot the page receives: the control plane's types, imported as types only (nothing is bundled). */

export type {
  BackendStats,
  DashboardSnapshot as Snapshot,
  Edge,
  Golden,
  ProxyView,
  RejectedView,
  RouteStats,
  ServiceView,
  WorkloadNode,
} from '@weft/control-plane';

/** What `GET /api/info` answers. */
export interface Info {
  readonly mode: 'local' | 'kubernetes';
  readonly source: string;
  readonly jaegerUrl: string | null;
  readonly intervalMs: number;
}
