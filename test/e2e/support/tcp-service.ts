/**
 * A Kubernetes Service in miniature for tests: one loopback port that forwards each new TCP
 * connection to the next live backend, round robin (IPVS's `rr`; kube-proxy's iptables mode picks
 * at random, which only adds noise to a count). Removing a backend stops new connections to it and
 * leaves the open ones alone, as an endpoint leaving an EndpointSlice does.
 */

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpService {
  private readonly server: Server;
  private backends: number[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();
  /** Connections forwarded, by backend port. */
  readonly forwarded = new Map<number, number>();
  port = 0;

  constructor() {
    this.server = createServer((client) => this.forward(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  add(port: number): void {
    if (!this.backends.includes(port)) this.backends.push(port);
  }

  remove(port: number): void {
    this.backends = this.backends.filter((p) => p !== port);
  }

  private forward(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.backends.length === 0) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next++ % this.backends.length] as number;
    this.forwarded.set(port, (this.forwarded.get(port) ?? 0) + 1);
    const upstream = connect({ host: '127.0.0.1', port });
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
