/** @weft/dashboard: the `weft dashboard` server (static assets plus server-sent events) and its upstreams. */
export {
  DashboardServer,
  type DashboardServerOptions,
  isLoopbackHost,
  MAX_CLIENTS,
  WEB_DIST,
} from './server.js';
export {
  adminUpstream,
  type KubernetesUpstreamOptions,
  kubernetesUpstream,
  serviceProxyBase,
  type Upstream,
} from './upstream.js';
