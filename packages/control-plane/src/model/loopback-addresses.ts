/**
 * Local mode: Services have no ClusterIP, so each gets a loopback address in 127.77.0.0/16 that
 * its name resolves to in DNS; a client proxy listens there on the Service's ports. The address
 * is a hash of the Service's key, probed forward on a collision, and kept for the control plane's
 * lifetime (a Service that goes and comes back gets the same one while it lasts).
 */
import { createHash } from 'node:crypto';

/** The block local-mode Service addresses come from (65,534 usable; Linux routes all of 127/8 to lo). */
const PREFIX = '127.77';
const SIZE = 65_536;

export class LoopbackAddresses {
  private readonly byKey = new Map<string, string>();
  private readonly taken = new Set<number>();

  /** The loopback address of Service `namespace/name`, allocated on first use. */
  addressOf(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
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
