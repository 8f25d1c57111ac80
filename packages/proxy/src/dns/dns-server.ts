/**
 * The DNS proxy's sockets: one UDP socket and one TCP listener on the same address (127.0.0.1:15053
 * by default). UDP answers go back to the sender; TCP carries length-prefixed messages (RFC 1035
 * §4.2.2, pipelined per RFC 7766) with a cap on connections, on message size and on idle time.
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '@weft/runtime';
import { guard } from '../net/guard.js';
import type { DnsHandler } from './dns-handler.js';
import type { DnsMetrics } from './dns-metrics.js';

export interface DnsServerOptions {
  readonly host: string;
  /** 0 picks a free port (the UDP socket's; TCP binds the same number). */
  readonly port: number;
  readonly handler: DnsHandler;
  readonly metrics: DnsMetrics;
  readonly logger: Logger;
  /** Most TCP connections at once; more are closed at accept. */
  readonly maxTcpConnections: number;
  /** A TCP connection with no query for this long is closed (ms). */
  readonly tcpIdleMs: number;
}

/** Most queries one TCP connection may have unanswered; it is not read further until some finish. */
const MAX_PIPELINED = 64;

export class DnsServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();

  constructor(private readonly o: DnsServerOptions) {}

  /**
   * Binds UDP then TCP on the same port; resolves with that port. With port 0 the UDP socket picks
   * one and TCP takes the same number, which another process may hold over TCP: then both are
   * tried again on a new port (a few times).
   */
  async start(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(this.o.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.bindTcp(port);
        this.udp = udp;
        return port;
      } catch (err) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (this.o.port !== 0 || !inUse || attempt >= 20) throw err;
      }
    }
  }

  private async bindUdp(port: number): Promise<UdpSocket> {
    const udp = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4', reuseAddr: false });
    udp.on('message', (msg, rinfo) => {
      void this.o.handler.handle(msg, 'udp').then((r) => {
        if (r.type === 'reply') udp.send(r.packet, rinfo.port, rinfo.address, () => {});
      });
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.o.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    // A send failure (the client went away) concerns one answer only.
    udp.on('error', (err) => this.o.logger.warn({ err: err.message }, 'dns udp socket error'));
    return udp;
  }

  private async bindTcp(port: number): Promise<Server> {
    const tcp = guard(createServer({ noDelay: true }, (socket) => this.accept(guard(socket))));
    tcp.maxConnections = this.o.maxTcpConnections;
    tcp.on('drop', () => this.o.metrics.dropped.inc({ reason: 'tcp-max-connections' }));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.o.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    return tcp;
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    socket.setTimeout(this.o.tcpIdleMs, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => this.connections.delete(socket));
    let buffered = Buffer.alloc(0);
    let outstanding = 0;
    const pump = () => {
      while (buffered.length >= 2 && outstanding < MAX_PIPELINED) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < len + 2) break;
        const msg = buffered.subarray(2, len + 2);
        buffered = buffered.subarray(len + 2);
        outstanding++;
        void this.o.handler.handle(Buffer.from(msg), 'tcp').then((r) => {
          outstanding--;
          if (r.type === 'reply' && !socket.destroyed) {
            const head = Buffer.alloc(2);
            head.writeUInt16BE(r.packet.length, 0);
            socket.write(Buffer.concat([head, r.packet]));
          }
          if (socket.isPaused() && outstanding < MAX_PIPELINED) socket.resume();
          pump();
        });
      }
      if (outstanding >= MAX_PIPELINED) socket.pause();
    };
    socket.on('data', (data) => {
      buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
      // One message is at most 65,535 bytes plus its prefix; more unparsed than that is not DNS.
      if (buffered.length > 2 * 65_537) {
        this.o.metrics.dropped.inc({ reason: 'tcp-overflow' });
        socket.destroy();
        return;
      }
      pump();
    });
  }

  /** Stops both listeners and closes open TCP connections. */
  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    this.connections.clear();
    const udp = this.udp;
    this.udp = undefined;
    if (udp !== undefined) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp !== undefined) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
}
