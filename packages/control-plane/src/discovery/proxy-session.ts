/**
 * What the control plane knows about one connected proxy: its subscriptions and, per resource
 * name, the version last sent, the version acknowledged and a version it rejected. Pure state;
 * the stream handler owns the I/O.
 */
import type { Resource } from '@weft/api';
import type { WorkloadRef } from '../model/inbound.js';
import type { Resolution } from '../model/resource-builder.js';
import type { WorkloadIdentity } from './peer-identity.js';
import type { QueuedUpdate } from './push-queue.js';

/** Response nonces remembered for ACK/NACK matching; older ones are forgotten. */
const MAX_NONCES = 256;

/** The outcome of an ACK or NACK. */
export type AckResult =
  | { readonly type: 'ok'; readonly names: readonly string[] }
  | { readonly type: 'unknown-nonce' };

export class ProxySession {
  /** Subscribed names and what they resolve to. */
  readonly subscriptions = new Map<string, Resolution>();
  private readonly sent = new Map<string, string>();
  private readonly acked = new Map<string, string>();
  private readonly rejected = new Map<string, string>();
  private readonly nonces = new Map<string, Map<string, string>>();
  private nonceSeq = 0;
  lastNack: { readonly nonce: string; readonly detail: string } | undefined;
  /** The GatewayClass this proxy serves as an ingress gateway ("" for a sidecar); set once allowed. */
  gatewayClass = '';
  acks = 0;
  nacks = 0;

  constructor(
    readonly id: string,
    readonly identity: WorkloadIdentity,
    readonly workload: WorkloadRef,
    readonly proxyVersion: string,
  ) {}

  /**
   * Versions the proxy says it rejected on an earlier stream (its node's rejected_versions):
   * they are not sent to it again. At most `max` entries; names and versions over 512
   * characters are ignored (nothing a proxy claims here can grow the session without bound).
   */
  seedRejected(entries: readonly { name: string; version: string }[], max = 1000): void {
    for (const { name, version } of entries.slice(0, max)) {
      if (name === '' || version === '' || name.length > 512 || version.length > 512) continue;
      this.rejected.set(name, version);
    }
  }

  /** The update to send for `name` now at `version`, or undefined when the proxy has it (or rejected exactly it). */
  upsert(name: string, version: string, resource: Resource): QueuedUpdate | undefined {
    if (this.sent.get(name) === version || this.rejected.get(name) === version) return undefined;
    this.sent.set(name, version);
    return { type: 'upsert', resource };
  }

  /** The removal of `name`, or undefined when the proxy never got it. */
  remove(name: string): QueuedUpdate | undefined {
    if (!this.sent.has(name)) return undefined;
    this.sent.delete(name);
    this.rejected.delete(name);
    return { type: 'remove' };
  }

  /** Records a response about to be written; returns its nonce. */
  record(resources: readonly Resource[], removed: readonly string[]): string {
    const nonce = (++this.nonceSeq).toString(36);
    const versions = new Map<string, string>();
    for (const r of resources) versions.set(r.name as string, r.version as string);
    for (const n of removed) versions.set(n, '');
    this.nonces.set(nonce, versions);
    if (this.nonces.size > MAX_NONCES) {
      const [oldest] = this.nonces.keys();
      if (oldest !== undefined) this.nonces.delete(oldest);
    }
    return nonce;
  }

  /** The proxy applied the response with `nonce`. */
  ack(nonce: string): AckResult {
    const versions = this.nonces.get(nonce);
    if (versions === undefined) return { type: 'unknown-nonce' };
    this.nonces.delete(nonce);
    this.acks++;
    for (const [name, v] of versions) {
      if (v === '') this.acked.delete(name);
      else this.acked.set(name, v);
      this.rejected.delete(name);
    }
    return { type: 'ok', names: [...versions.keys()] };
  }

  /**
   * The proxy rejected the response with `nonce` and kept its last acknowledged config: the
   * rejected versions are not sent again; the next different version is.
   */
  nack(nonce: string, detail: string): AckResult {
    const versions = this.nonces.get(nonce);
    if (versions === undefined) return { type: 'unknown-nonce' };
    this.nonces.delete(nonce);
    this.nacks++;
    this.lastNack = { nonce, detail };
    for (const [name, v] of versions) {
      if (v !== '') this.rejected.set(name, v);
      const good = this.acked.get(name);
      if (good === undefined) this.sent.delete(name);
      else this.sent.set(name, good);
    }
    return { type: 'ok', names: [...versions.keys()] };
  }

  /** The acknowledged version of each resource, for /debug/state. */
  ackedVersions(): Record<string, string> {
    return Object.fromEntries(this.acked);
  }

  /** Versions rejected by the proxy, for /debug/state. */
  rejectedVersions(): Record<string, string> {
    return Object.fromEntries(this.rejected);
  }
}
