/**
 * A mirrored request as the outbound path sees it: an {@link Exchange} with no client behind it.
 * It goes through the same resolve and traffic layers and HTTP/1 attempts and pool as the
 * gateway's other requests (mTLS with the gateway's identity to a meshed mirror, its own address
 * outside the mesh), with its body already in memory; the response is read and dropped.
 */
import type { Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import type { Destination } from '../discovery/resolver.js';
import { type AttemptClient, Http1Attempts } from '../http1/attempts.js';
import type { BodyTarget } from '../http1/body-target.js';
import type { ClientConnection, Http1ConnectionInfo } from '../http1/client-connection.js';
import { joinedHeaderValue, type MessageHead } from '../http1/head-parser.js';
import type { Http1Pool } from '../http1/pool.js';
import type { ClientBodyMode } from '../http1/serialize.js';
import type {
  AttemptChannel,
  AttemptObserver,
  AttemptOptions,
  Exchange,
  ExchangeTelemetry,
  PeerInfo,
} from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';

/** How a mirrored request ended. */
export type MirrorOutcome =
  | { readonly type: 'response'; readonly status: number }
  | { readonly type: 'failed'; readonly error: WeftError | undefined };

/** What every mirrored request is made from, whichever protocol it is sent with. */
export interface MirrorCopyInit {
  /** The body (empty without one). */
  readonly body: readonly Buffer[];
  readonly info: Http1ConnectionInfo;
  readonly startedAt: number;
  /** Called once, when the copy's response is over or it failed. */
  readonly done: (outcome: MirrorOutcome) => void;
}

export interface MirrorExchangeInit extends MirrorCopyInit {
  /** The head to send: method, target, edited headers (Host included) and the body's framing. */
  readonly head: MessageHead;
  readonly pool: Http1Pool;
}

export class MirrorExchange implements Exchange, AttemptClient, ClientConnection {
  readonly protocol = 'http1' as const;
  readonly direction = 'outbound' as const;
  readonly mode: ClientBodyMode = 'raw';
  readonly head: MessageHead;
  readonly info: Http1ConnectionInfo;
  readonly pool: Http1Pool;
  readonly startedAt: number;
  destination: Destination | undefined;
  upstream: UpstreamTarget | undefined;
  /** None: the gateway counts mirrors itself; the backend's traffic counters still see them. */
  telemetry: ExchangeTelemetry | undefined;
  /** Set by the HTTP/1 attempts; called to give the copy up (its timeout). */
  abortUpstream: () => void = () => {};
  private status = 0;
  private over = false;
  /** Only `destroyed` is read of a client connection's socket (the pool skips gone clients). */
  readonly socket: Socket;

  constructor(private readonly init: MirrorExchangeInit) {
    this.head = init.head;
    this.info = init.info;
    this.pool = init.pool;
    this.startedAt = init.startedAt;
    const self = this;
    this.socket = {
      get destroyed() {
        return self.over;
      },
    } as unknown as Socket;
  }

  // ---- Exchange ----

  get method(): string {
    return this.head.method;
  }
  get path(): string {
    return this.head.target;
  }
  get authority(): string {
    return this.head.host;
  }
  get peer(): PeerInfo {
    return this.info.peer;
  }
  get name(): string {
    return this.info.name;
  }
  get egress(): UpstreamTarget | undefined {
    return this.info.egress;
  }
  get port(): number {
    return this.info.port;
  }

  header(lower: string): string | undefined {
    return joinedHeaderValue(this.head.headers, lower);
  }

  attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined {
    return new Http1Attempts(this, observer, options);
  }

  forward(): void {
    // Never reached: a copy is never an upgrade or CONNECT, so it always has attempts.
    this.finish({ type: 'failed', error: undefined });
  }

  fail(error: WeftError): void {
    this.finish({ type: 'failed', error });
  }

  /** Gives the copy up now (its timeout): the attempt in flight is cancelled. */
  cancel(error: WeftError): void {
    if (this.over) return;
    this.finish({ type: 'failed', error });
    this.abortUpstream();
  }

  // ---- AttemptClient / ClientConnection: the body is in memory, the response is dropped ----

  get conn(): ClientConnection {
    return this;
  }

  attachBody(target: BodyTarget): void {
    // At most MAX_MIRROR_BODY_BYTES: the upstream socket buffers it, no back-pressure to honour.
    for (const chunk of this.init.body) target.write(chunk);
    target.end();
  }

  writeInterim(): void {}

  writeHead(head: MessageHead): void {
    this.status = head.status;
  }

  flushHead(): void {}

  writeBody(): boolean {
    return true;
  }

  endResponse(): void {
    this.finish({ type: 'response', status: this.status });
  }

  takeOver(): { socket: Socket; pending: Buffer } {
    throw new Error('a mirrored request never switches protocols');
  }

  destroy(): void {
    this.finish({ type: 'failed', error: undefined });
  }

  private finish(outcome: MirrorOutcome): void {
    if (this.over) return;
    this.over = true;
    this.init.done(outcome);
  }
}
