/** What the DNS proxy needs from discovery: the addresses a mesh Service name resolves to. */

/** The control plane's answer for one Service FQDN. */
export type MeshRecord =
  /** ClusterIPs, or the ready endpoints' addresses of a headless Service (IPv4 and IPv6 mixed). */
  | {
      readonly type: 'addresses';
      readonly addresses: readonly string[];
      readonly ttlSeconds: number;
      /** The Service's ports (local mode opens them on a loopback address); empty when unknown. */
      readonly ports?: readonly number[];
    }
  /** No such Service. */
  | { readonly type: 'none'; readonly reason: string };

/** The outcome of waiting for a record. */
export type MeshRecordWait = MeshRecord | { readonly type: 'timeout' };

/**
 * Mesh DNS records by FQDN (`name.ns.svc.<cluster-domain>`). Implemented by the discovery state;
 * `record` is the hot path (a map read that also marks the name used and asks for it when it is
 * unknown), `waitRecord` subscribes and waits up to `timeoutMs` for the first answer.
 */
export interface MeshRecordSource {
  record(fqdn: string): MeshRecord | undefined;
  waitRecord(fqdn: string, timeoutMs: number): Promise<MeshRecordWait>;
}
