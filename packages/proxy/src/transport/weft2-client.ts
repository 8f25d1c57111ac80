/**
 * The client side of weft.2: per peer sidecar (address, inbound port, expected identity) a few
 * long-lived mTLS connections, each carrying up to MAX_STREAMS streams. A stream is what the
 * HTTP/1 pool gets back from the connector in place of a pooled TLS connection. A peer that
 * answers the handshake with ALPN weft.1 gets weft.1 connections (preamble first), as before.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WeftError } from '@weft/core';
import { encodePreamble } from '../net/preamble.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TlsContexts } from '../tls/tls-contexts.js';
import { WEFT2_ALPN } from '../tls/tls-contexts.js';
import type { Weft2Metrics } from './weft2-metrics.js';
import { Weft2Session } from './weft2-session.js';

/** Dials a peer sidecar with these ALPN protocols offered; resolves after the identity check. */
export type MeshDial = (target: UpstreamTarget, alpn: readonly string[]) => Promise<TLSSocket>;

/** What the client registry needs; the connector supplies the mTLS dial and the identity check. */
export interface Weft2ClientOptions {
  readonly dial: MeshDial;
  readonly tls: TlsContexts;
  readonly metrics: Weft2Metrics;
  /** A connection without streams closes after this long. */
  readonly idleMs: number;
  /** How long a peer that chose weft.1 is dialed for weft.1 directly (no waiting on one dial). */
  readonly weft1MemoryMs: number;
}

interface ClientSession {
  readonly session: Weft2Session;
  readonly generation: number;
}

/** weft.2 streams for HTTP/1 between sidecars, with weft.1 for peers that do not speak it. */
export class Weft2Client {
  private readonly sessions = new Map<string, ClientSession[]>();
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Peers that answered weft.1, until when. */
  private readonly weft1Until = new Map<string, number>();

  constructor(private readonly options: Weft2ClientOptions) {}

  /** A connected stream (or a weft.1 connection whose preamble is written) for HTTP/1 to `target`. */
  async connect(target: UpstreamTarget): Promise<Socket> {
    const key = `${target.address}:${target.meshedPort}|${target.identity}`;
    for (;;) {
      const stream = this.openOn(key, target);
      if (stream !== undefined) return stream;
      const until = this.weft1Until.get(key);
      if (until !== undefined && until > Date.now())
        return this.weft1(await this.options.dial(target, ALPNS), target);
      const pending = this.pending.get(key);
      if (pending === undefined) break;
      // Another request is dialing this peer: its connection will take ours too (and its
      // failure is ours: no dial after dial to a peer that is down).
      await pending;
    }
    const dialing = this.options.dial(target, ALPNS);
    this.pending.set(key, dialing);
    let socket: TLSSocket;
    try {
      socket = await dialing;
    } finally {
      this.pending.delete(key);
    }
    if (socket.alpnProtocol !== WEFT2_ALPN) {
      this.weft1Until.set(key, Date.now() + this.options.weft1MemoryMs);
      return this.weft1(socket, target);
    }
    this.weft1Until.delete(key);
    const entry: ClientSession = {
      generation: this.options.tls.generation,
      session: new Weft2Session(socket, {
        role: 'client',
        metrics: this.options.metrics,
        idleMs: this.options.idleMs,
        onClose: () => this.forget(key, entry),
      }),
    };
    const list = this.sessions.get(key);
    if (list === undefined) this.sessions.set(key, [entry]);
    else list.push(entry);
    const stream = this.openOn(key, target);
    if (stream === undefined) throw new WeftError('UNAVAILABLE', 'the weft.2 connection closed at once');
    return stream;
  }

  /** Open weft.2 connections (all peers). */
  get size(): number {
    let n = 0;
    for (const list of this.sessions.values()) n += list.length;
    return n;
  }

  /** Sends GOAWAY on every connection: each closes once its streams have finished. */
  close(): void {
    for (const list of this.sessions.values()) for (const e of list) e.session.goAway();
  }

  private openOn(key: string, target: UpstreamTarget): Socket | undefined {
    const list = this.sessions.get(key);
    if (list === undefined) return undefined;
    const generation = this.options.tls.generation;
    for (const e of list) {
      if (e.generation !== generation) {
        // Made with an older certificate: no new streams; it closes when its streams finish.
        e.session.goAway();
        continue;
      }
      const stream = e.session.open({ protocol: 'http1', port: target.port });
      // A stream is used exactly like a pooled TLS socket (see Weft2Stream); the HTTP/1 engine
      // types its connections as net.Socket.
      if (stream !== undefined) return stream as unknown as Socket;
    }
    return undefined;
  }

  private forget(key: string, entry: ClientSession): void {
    const list = this.sessions.get(key);
    if (list === undefined) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.sessions.delete(key);
  }

  /** The peer chose weft.1: the connection is used the old way, preamble first. */
  private weft1(socket: TLSSocket, target: UpstreamTarget): Promise<Socket> {
    return new Promise((resolve) => {
      socket.write(encodePreamble({ protocol: 'http1', port: target.port }), () => resolve(socket));
    });
  }
}

const ALPNS: readonly string[] = [WEFT2_ALPN, 'weft.1'];
