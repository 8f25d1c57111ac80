/**
 * Local mode: Services have no ClusterIP, so each (client proxy, Service) pair gets a loopback
 * address in 127.77.0.0/16 that the Service's name resolves to for that client; the client proxy
 * listens there on the Service's ports (per client, because the proxies of one machine share its
 * loopback). The address is a hash of the pair, probed forward on a collision, and kept for the
 * control plane's lifetime.
 */
import { createHash } from 'node:crypto';

/** The block local-mode Service addresses come from (65,534 usable; Linux routes all of 127/8 to lo). */
const PREFIX = '127.77';
const SIZE = 65_536;

export class LoopbackAddresses {
  private readonly byKey = new Map<string, string>();
  private readonly taken = new Set<number>();

  /** The loopback address of `service` ("namespace/name") for `client`, allocated on first use. */
  addressOf(client: string, service: string): string {
    const key = `${client}|${service}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    let slot = createHash('sha256').update(key).digest().readUInt16BE(0);
    for (let i = 0; i < SIZE; i++, slot = (slot + 1) % SIZE) {
      // .0.0 and .255.255 are left out: network and broadcast-looking addresses confuse people.
      if (slot === 0 || slot === SIZE - 1 || this.taken.has(slot)) continue;
      this.taken.add(slot);
      const address = `${PREFIX}.${slot >> 8}.${slot & 0xff}`;
      this.byKey.set(key, address);
      return address;
    }
    throw new Error('no loopback address left for local-mode Services');
  }
}
