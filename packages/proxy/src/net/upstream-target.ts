/** Where the proxy connects for a request, and the connection settings a destination sets. */

/** Where a request is sent: an app port, another proxy (meshed), or an address outside the mesh. */
export interface UpstreamTarget {
  readonly address: string;
  /** The app port on that workload (sent in the preamble when meshed). */
  readonly port: number;
  /** The SPIFFE ID the server must present ('' = not meshed: plain TCP). */
  readonly identity: string;
  /** The peer proxy's inbound listener port (0 = not meshed). */
  readonly meshedPort: number;
  /** Stable key for pooling: equal keys share connections. */
  readonly key: string;
}

/** Builds an UpstreamTarget with its pool key. */
export function upstreamTarget(address: string, port: number, identity = '', meshedPort = 0): UpstreamTarget {
  const key = meshedPort > 0 ? `${address}:${meshedPort}>${port}|${identity}` : `${address}:${port}`;
  return { address, port, identity, meshedPort, key };
}

/**
 * A destination's settings for the connections its requests use (TrafficPolicy
 * `limits.maxConnections` and `timeouts.idle`).
 */
export interface ConnectionPolicy {
  /** Connections counted together against `maxConnections` (the destination's authority). */
  readonly group: string;
  /** Open and opening connections of the group at most; further requests wait (FIFO) for one. */
  readonly maxConnections: number;
  /** An idle connection the group opened is closed after this long. */
  readonly idleTimeoutMs: number;
}
