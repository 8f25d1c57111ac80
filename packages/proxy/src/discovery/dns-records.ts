/**
 * The DNS records the control plane pushed for `dns:<fqdn>` subscriptions, with waiters for a
 * name's first answer and the same two-sweep idle rule as destinations. Held by DiscoveryState.
 */
import type { MeshRecord, MeshRecordWait } from '../dns/mesh-records.js';

/** Subscriptions for DNS names are `dns:` + the Service FQDN. */
export const DNS_PREFIX = 'dns:';

interface Held {
  record: MeshRecord | undefined;
  usedIn: number;
}

/**
 * Names held at most. Each is a subscription on the discovery stream, which the control plane
 * caps (10,000 per stream, shared with destinations) by closing the stream: an app looking up
 * ever new Service-shaped names must not get that far. Past the cap a new name gets no answer
 * now (SERVFAIL for a full Service name, the next search candidate otherwise) until the idle
 * sweep frees room.
 */
export const MAX_DNS_NAMES = 1024;

export class DnsRecords {
  private readonly held = new Map<string, Held>();
  private readonly waiters = new Map<string, ((r: MeshRecordWait) => void)[]>();
  private epoch = 0;
  /** Called for each new name refused because the most names were held. */
  onRefused: () => void = () => {};

  constructor(private readonly maxNames = MAX_DNS_NAMES) {}

  /** True when `fqdn` is not held and no room is left for it (counted). */
  private full(fqdn: string): boolean {
    if (this.held.has(fqdn) || this.held.size < this.maxNames) return false;
    this.onRefused();
    return true;
  }

  /** The record for `fqdn` (undefined until answered), marking it used; `ask` runs for a new name. */
  get(fqdn: string, ask: (name: string) => void): MeshRecord | undefined {
    const h = this.held.get(fqdn);
    if (h !== undefined) {
      h.usedIn = this.epoch;
      return h.record;
    }
    if (this.full(fqdn)) return undefined;
    this.held.set(fqdn, { record: undefined, usedIn: this.epoch });
    ask(DNS_PREFIX + fqdn);
    return undefined;
  }

  /** Waits up to `timeoutMs` for the first answer for `fqdn` (asking for it if needed). */
  wait(fqdn: string, timeoutMs: number, ask: (name: string) => void): Promise<MeshRecordWait> {
    // Refused for want of room: no answer now (get(), the hot path before this, counted it).
    if (!this.held.has(fqdn) && this.held.size >= this.maxNames) return Promise.resolve({ type: 'timeout' });
    const known = this.get(fqdn, ask);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => {
      const done = (r: MeshRecordWait) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(fqdn);
        const i = list?.indexOf(done) ?? -1;
        if (list !== undefined && i >= 0) list.splice(i, 1);
        if (list?.length === 0) this.waiters.delete(fqdn);
        resolve({ type: 'timeout' });
      }, timeoutMs);
      timer.unref();
      const list = this.waiters.get(fqdn) ?? [];
      list.push(done);
      this.waiters.set(fqdn, list);
    });
  }

  /** The control plane's answer for `fqdn`. */
  set(fqdn: string, record: MeshRecord): void {
    const h = this.held.get(fqdn);
    this.held.set(fqdn, { record, usedIn: h?.usedIn ?? this.epoch });
    const list = this.waiters.get(fqdn);
    if (list === undefined) return;
    this.waiters.delete(fqdn);
    for (const w of list) w(record);
  }

  /** The control plane removed the name: it is asked for again on next use. */
  remove(fqdn: string): void {
    this.held.delete(fqdn);
  }

  /** Subscription names held (for re-subscribing after a reconnect). */
  names(): string[] {
    return [...this.held.keys()].map((f) => DNS_PREFIX + f);
  }

  /** Drops names unused for two sweeps (none is waited for); returns their subscription names. */
  sweep(): string[] {
    const idleUpTo = this.epoch - 2;
    this.epoch++;
    const idle: string[] = [];
    for (const [fqdn, h] of this.held) {
      if (h.usedIn > idleUpTo || this.waiters.has(fqdn)) continue;
      this.held.delete(fqdn);
      idle.push(DNS_PREFIX + fqdn);
    }
    return idle;
  }

  /** name -> record, for /config. */
  snapshot(): Record<string, MeshRecord | 'pending'> {
    const out: Record<string, MeshRecord | 'pending'> = {};
    for (const [fqdn, h] of this.held) out[fqdn] = h.record ?? 'pending';
    return out;
  }

  get size(): number {
    return this.held.size;
  }
}
