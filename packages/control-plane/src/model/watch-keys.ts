/**
 * Watch keys: the names of the things a derived resource depends on. The mesh state reports
 * which keys a batch touched; a subscription is recomputed only when one of its keys is dirty.
 */
export const keys = {
  /** Anything a destination of service "ns/name" is built from (spec, endpoints, routes, policy, backends). */
  service: (svc: string) => `svc:${svc}`,
  /** The service's ports or the AuthorizationPolicies targeting it (inbound policies). */
  authz: (svc: string) => `authz:${svc}`,
  /** The set of services of a namespace, or its annotations. */
  namespace: (ns: string) => `ns:${ns}`,
  /** A pod (labels, annotations, registration). */
  pod: (pod: string) => `pod:${pod}`,
  /** Which service owns a ClusterIP. */
  ip: (ip: string) => `ip:${ip}`,
  /** The ingress gateway's config (every class). */
  gateway: () => 'gateway',
} as const;
