/**
 * Local mode: a Service's name resolves to a loopback address of its own (127.77.x.y, chosen by the
 * control plane); before answering, the proxy opens an upstream listener on that address for each
 * of the Service's ports, so `http://api.demo.svc.cluster.local/` reaches the proxy, which routes
 * it to the Service like any upstream. Each address:port is opened once.
 */

import { isIPv4 } from 'node:net';
import type { Logger } from '@weft/runtime';
import type { MeshRecord } from './mesh-records.js';

/** Opens an upstream listener carrying traffic to `authority`; resolves with the bound port. */
export type OpenUpstream = (authority: string, host: string, port: number) => Promise<number>;

/** Most loopback listeners opened this way (each is a socket; a bound keeps a bad peer from exhausting them). */
const MAX_LISTENERS = 1024;

export class LoopbackRoutes {
  private readonly opened = new Map<string, Promise<void>>();
  /** Listeners bound (the hot path checks this set only). */
  private readonly bound = new Set<string>();

  constructor(
    private readonly open: OpenUpstream,
    private readonly logger: Logger,
  ) {}

  /** Listeners opened (or opening), by `host:port`. */
  get size(): number {
    return this.opened.size;
  }

  /**
   * Opens the listeners `record` needs, if any; undefined when there is nothing to wait for (the
   * hot path: every listener already open, or the addresses are not loopback).
   */
  prepare(fqdn: string, record: Extract<MeshRecord, { type: 'addresses' }>): Promise<void> | undefined {
    const pending: Promise<void>[] = [];
    for (const address of record.addresses) {
      if (!isRoutedLoopback(address)) continue;
      for (const port of record.ports ?? []) {
        const key = `${address}:${port}`;
        if (this.bound.has(key)) continue;
        const opening = this.opened.get(key);
        if (opening !== undefined) pending.push(opening);
        else if (this.opened.size < MAX_LISTENERS) pending.push(this.openOne(fqdn, address, port, key));
      }
    }
    return pending.length === 0 ? undefined : Promise.all(pending).then(() => {});
  }

  private openOne(fqdn: string, address: string, port: number, key: string): Promise<void> {
    // "api.demo.svc.cluster.local" -> authority "api.demo:80", which the control plane resolves.
    const [name, namespace] = fqdn.split('.');
    const p = this.open(`${name}.${namespace}:${port}`, address, port).then(
      () => {
        this.bound.add(key);
      },
      (err: Error) => {
        // The answer still goes out; the client's connection will fail and say so.
        this.logger.warn(
          { err: err.message, address, port },
          'cannot open the loopback listener of a mesh name',
        );
        this.opened.delete(key);
      },
    );
    this.opened.set(key, p);
    return p;
  }
}

/** 127.0.0.0/8 except 127.0.0.1 itself (apps and proxies listen there on their own ports). */
function isRoutedLoopback(address: string): boolean {
  return isIPv4(address) && address.startsWith('127.') && address !== '127.0.0.1';
}
