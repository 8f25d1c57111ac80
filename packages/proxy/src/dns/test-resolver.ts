/**
 * A small authoritative DNS server on loopback (UDP and TCP on one port) answering from a table,
 * for the DNS proxy's tests and benchmark. It counts the queries it received.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Answer } from 'dns-packet';
import * as packet from 'dns-packet';
import { guard } from '../net/guard.js';

/** What the test resolver answers for one name: records, or NXDOMAIN with a SOA minimum. */
export type TestZoneEntry =
  | { readonly type: 'records'; readonly answers: readonly Answer[] }
  | { readonly type: 'nxdomain'; readonly soaMinimum: number };

export interface TestResolver {
  readonly port: number;
  /** Queries received, by `name|type`. */
  readonly received: Map<string, number>;
  close(): Promise<void>;
}

function answer(
  msg: Buffer,
  zone: ReadonlyMap<string, TestZoneEntry>,
  transport: 'udp' | 'tcp',
): Buffer | undefined {
  let q: packet.DecodedPacket;
  try {
    q = packet.decode(msg);
  } catch {
    return undefined;
  }
  const question = q.questions?.[0];
  if (question === undefined) return undefined;
  const entry = zone.get(question.name.toLowerCase());
  const base = { type: 'response' as const, id: q.id ?? 0, questions: q.questions ?? [] };
  let out: Buffer;
  if (entry === undefined || entry.type === 'nxdomain') {
    out = packet.encode({
      ...base,
      flags: packet.AUTHORITATIVE_ANSWER | 3,
      authorities: [
        {
          name: 'example.',
          type: 'SOA',
          ttl: 3600,
          data: {
            mname: 'ns.example',
            rname: 'admin.example',
            serial: 1,
            refresh: 60,
            retry: 60,
            expire: 60,
            minimum: entry?.type === 'nxdomain' ? entry.soaMinimum : 60,
          },
        },
      ],
    });
  } else {
    out = packet.encode({
      ...base,
      flags: packet.AUTHORITATIVE_ANSWER,
      answers: entry.answers.filter((a) => a.type === question.type),
    });
  }
  if (transport === 'udp' && out.length > 512) {
    return packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | packet.TRUNCATED_RESPONSE });
  }
  return out;
}

/** Starts the resolver on `host` (port 0 = any free port; UDP and TCP share it). */
export async function startTestResolver(
  zone: ReadonlyMap<string, TestZoneEntry>,
  host = '127.0.0.1',
  port = 0,
): Promise<TestResolver> {
  const received = new Map<string, number>();
  const count = (msg: Buffer) => {
    try {
      const q = packet.decode(msg).questions?.[0];
      if (q !== undefined)
        received.set(`${q.name}|${q.type}`, (received.get(`${q.name}|${q.type}`) ?? 0) + 1);
    } catch {}
  };
  const sockets = new Set<Socket>();
  const onUdp = (udp: UdpSocket) => (msg: Buffer, rinfo: { port: number; address: string }) => {
    count(msg);
    const out = answer(msg, zone, 'udp');
    if (out !== undefined) udp.send(out, rinfo.port, rinfo.address);
  };
  const onTcp = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        const msg = buf.subarray(2, buf.readUInt16BE(0) + 2);
        buf = buf.subarray(msg.length + 2);
        count(msg);
        const out = answer(msg, zone, 'tcp');
        if (out === undefined) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        socket.write(Buffer.concat([head, out]));
      }
    });
  };
  // UDP picks the port (with 0) and TCP takes the same number, which another process may hold: retry.
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  let bound = 0;
  for (let attempt = 1; tcp === undefined; attempt++) {
    const u = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    u.on('message', onUdp(u));
    await new Promise<void>((resolve, reject) => {
      u.once('error', reject);
      u.bind(port, host, () => resolve());
    });
    bound = u.address().port;
    const t = guard(createServer(onTcp));
    try {
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen(bound, host, () => resolve());
      });
      udp = u;
      tcp = t;
    } catch (err) {
      await new Promise<void>((resolve) => u.close(() => resolve()));
      if (port !== 0 || attempt >= 20) throw err;
    }
  }
  const udpSocket = udp as UdpSocket;
  const tcpServer = tcp;
  return {
    port: bound,
    received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => udpSocket.close(() => resolve()));
      await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    },
  };
}

/** Sends one query and waits for the reply (UDP: first datagram; TCP: first framed message). */
export async function askDns(
  port: number,
  query: packet.Packet,
  transport: 'udp' | 'tcp',
  host = '127.0.0.1',
  timeoutMs = 5000,
): Promise<packet.DecodedPacket> {
  return packet.decode(await askRaw(port, packet.encode(query), transport, host, timeoutMs));
}

/** Sends raw bytes and returns the raw reply; rejects after `timeoutMs` without one. */
export function askRaw(
  port: number,
  bytes: Buffer,
  transport: 'udp' | 'tcp',
  host = '127.0.0.1',
  timeoutMs = 5000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (transport === 'udp') {
      const s = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      const timer = setTimeout(() => {
        s.close();
        reject(new Error(`no UDP reply within ${timeoutMs} ms`));
      }, timeoutMs);
      s.on('message', (msg) => {
        clearTimeout(timer);
        s.close();
        resolve(msg);
      });
      s.send(bytes, port, host);
      return;
    }
    const sock: Socket = connect(port, host);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TCP reply within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(2, buf.readUInt16BE(0) + 2));
      }
    });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(bytes.length);
    sock.write(Buffer.concat([head, bytes]));
  });
}
