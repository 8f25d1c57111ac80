/**
 * Sends a query to the upstream resolvers (the pod's original resolv.conf) over UDP or TCP, one
 * resolver after another within one overall deadline, so a dead upstream costs a bounded time
 * and the client gets SERVFAIL quickly instead of its own 5 s retry.
 */

import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';

/** One upstream resolver. */
export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
}

/** The upstream's answer (raw, its ID already set back to the caller's), or why there is none. */
export type UpstreamResult =
  | { readonly type: 'answer'; readonly packet: Buffer }
  | { readonly type: 'failed'; readonly reason: string };

/** Forwards queries. Owned by the DNS server; `close` ends its sockets. */
export interface Upstream {
  /** Forwards `query` (a whole DNS message) over `transport`; never rejects. */
  forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<UpstreamResult>;
  close(): void;
}

export interface UpstreamOptions {
  readonly servers: readonly UpstreamAddress[];
  /** Overall time for one query over every server (ms); each server gets an equal share. */
  readonly timeoutMs: number;
}

/** Largest DNS message over TCP (its 2-byte length prefix). */
const MAX_TCP_MESSAGE = 65_535;

interface Pending {
  readonly server: UpstreamAddress;
  readonly clientId: number;
  /** The question section as sent, to match the answer against. */
  readonly question: Buffer;
  readonly done: (r: UpstreamResult) => void;
}

/** The question section of a message (after the 12-byte header), up to the end of the first question. */
function questionBytes(message: Buffer): Buffer | undefined {
  let i = 12;
  while (i < message.length) {
    const len = message[i]!;
    if (len === 0) {
      i += 1;
      break;
    }
    if ((len & 0xc0) !== 0) return undefined;
    i += len + 1;
  }
  if (i + 4 > message.length) return undefined;
  return message.subarray(12, i + 4);
}

export class UdpTcpUpstream implements Upstream {
  private udp4: UdpSocket | undefined;
  private udp6: UdpSocket | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly tcpSockets = new Set<Socket>();
  private closed = false;

  constructor(private readonly options: UpstreamOptions) {}

  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<UpstreamResult> {
    const servers = this.options.servers;
    if (servers.length === 0) return { type: 'failed', reason: 'no upstream resolvers' };
    const perTry = Math.max(1, Math.floor(this.options.timeoutMs / servers.length));
    let last = '';
    for (const server of servers) {
      const r =
        transport === 'udp'
          ? await this.viaUdp(query, server, perTry)
          : await this.viaTcp(query, server, perTry);
      if (r.type === 'answer') return r;
      last = `${server.host}:${server.port}: ${r.reason}`;
    }
    return { type: 'failed', reason: last };
  }

  private socketFor(host: string): UdpSocket {
    const v6 = isIPv6(host);
    const existing = v6 ? this.udp6 : this.udp4;
    if (existing !== undefined) return existing;
    const s = createSocket(v6 ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => this.onUdpAnswer(msg, rinfo.address, rinfo.port));
    // A send error (e.g. ICMP unreachable) only fails its own query, by timeout.
    s.on('error', () => {});
    s.unref();
    if (v6) this.udp6 = s;
    else this.udp4 = s;
    return s;
  }

  /** A query ID not in flight, from a CSPRNG: an off-path attacker must guess it (RFC 5452). */
  private freshId(): number {
    for (;;) {
      const id = randomInt(65_536);
      if (!this.pending.has(id)) return id;
    }
  }

  private viaUdp(query: Buffer, server: UpstreamAddress, timeoutMs: number): Promise<UpstreamResult> {
    if (this.closed) return Promise.resolve({ type: 'failed', reason: 'closed' });
    const question = questionBytes(query);
    if (question === undefined) return Promise.resolve({ type: 'failed', reason: 'no question' });
    if (this.pending.size >= 60_000)
      return Promise.resolve({ type: 'failed', reason: 'too many queries in flight' });
    const id = this.freshId();
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => finish({ type: 'failed', reason: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      timer.unref();
      const finish = (r: UpstreamResult) => {
        clearTimeout(timer);
        if (this.pending.get(id)?.done === finish) this.pending.delete(id);
        resolve(r);
      };
      this.pending.set(id, { server, clientId: query.readUInt16BE(0), question, done: finish });
      this.socketFor(server.host).send(out, server.port, server.host, (err) => {
        if (err) finish({ type: 'failed', reason: err.message });
      });
    });
  }

  private onUdpAnswer(msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    // Only the server asked may answer, with the question asked (RFC 5452): anything else is ignored.
    if (p === undefined || p.server.port !== port || !sameAddress(p.server.host, address)) return;
    const q = questionBytes(msg);
    if (q === undefined || !q.equals(p.question)) return;
    const packet = Buffer.from(msg);
    packet.writeUInt16BE(p.clientId, 0);
    p.done({ type: 'answer', packet });
  }

  private viaTcp(query: Buffer, server: UpstreamAddress, timeoutMs: number): Promise<UpstreamResult> {
    if (this.closed) return Promise.resolve({ type: 'failed', reason: 'closed' });
    return new Promise((resolve) => {
      const socket = new Socket();
      this.tcpSockets.add(socket);
      let chunks: Buffer[] = [];
      let have = 0;
      let settled = false;
      const finish = (r: UpstreamResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.tcpSockets.delete(socket);
        socket.destroy();
        resolve(r);
      };
      const timer = setTimeout(
        () => finish({ type: 'failed', reason: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      timer.unref();
      socket.on('error', (err) => finish({ type: 'failed', reason: err.message }));
      socket.on('close', () => finish({ type: 'failed', reason: 'connection closed before the answer' }));
      socket.on('data', (data) => {
        chunks.push(data);
        have += data.length;
        if (have > MAX_TCP_MESSAGE + 2) return finish({ type: 'failed', reason: 'answer too large' });
        if (have < 2) return;
        const all = Buffer.concat(chunks);
        chunks = [all];
        const len = all.readUInt16BE(0);
        if (have < len + 2) return;
        const packet = Buffer.from(all.subarray(2, len + 2));
        if (packet.length < 12 || packet.readUInt16BE(0) !== query.readUInt16BE(0)) {
          return finish({ type: 'failed', reason: 'answer does not match the query' });
        }
        finish({ type: 'answer', packet });
      });
      socket.connect(server.port, server.host, () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length, 0);
        socket.write(Buffer.concat([len, query]));
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) p.done({ type: 'failed', reason: 'closed' });
    this.pending.clear();
    for (const s of this.tcpSockets) s.destroy();
    this.tcpSockets.clear();
    this.udp4?.close();
    this.udp6?.close();
    this.udp4 = undefined;
    this.udp6 = undefined;
  }
}

function sameAddress(a: string, b: string): boolean {
  return a === b || `::ffff:${a}` === b || a === `::ffff:${b}`;
}
