/**
 * A protocol-free {@link Exchange} for layer tests: its attempt channel answers each attempt
 * from a script (synchronously, as a real adapter does at a response head or failure) and
 * records what the traffic path did: attempts, relayed and dropped responses, local failures.
 */
import { type AttemptOutcome, WeftError } from '@weft/core';
import type { Destination } from '../src/discovery/resolver.js';
import type {
  AttemptChannel,
  AttemptObserver,
  AttemptOptions,
  Exchange,
  ExchangeTelemetry,
  PeerInfo,
} from '../src/layers/types.js';
import type { UpstreamTarget } from '../src/net/upstream-target.js';

/** How the fake upstream answers an attempt. */
export interface ScriptedAnswer {
  readonly outcome: AttemptOutcome;
  /** Whether the request reached the upstream (default true). */
  readonly sent?: boolean;
  /** A stale keep-alive connection failure (default false). */
  readonly stale?: boolean;
  /** Never answer: the attempt hangs (for timeouts). */
  readonly hang?: boolean;
}

export interface FakeExchangeLog {
  readonly attempts: { address: string; attempt: number; fresh: boolean }[];
  readonly relayed: string[];
  readonly dropped: string[];
  readonly cancelled: string[];
  readonly failures: WeftError[];
  readonly forwarded: UpstreamTarget[];
  closed: boolean;
}

export interface FakeExchangeOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly bodyBytes?: number;
  readonly direction?: 'outbound' | 'inbound';
  readonly egress?: UpstreamTarget;
  /** No attempt channel: forwarded once (an upgrade). */
  readonly once?: boolean;
  /** Answers are delivered on a later turn (setImmediate) instead of synchronously. */
  readonly async?: boolean;
}

/** The fake exchange, its log, and a way for the "client" to go away or a relayed response to end. */
export class FakeExchange implements Exchange {
  readonly protocol = 'http1' as const;
  readonly method: string;
  readonly path: string;
  readonly authority = 'api.shop.svc.cluster.local:80';
  readonly peer: PeerInfo = { identity: undefined, address: '127.0.0.1' };
  readonly direction: 'outbound' | 'inbound';
  readonly name = 'api.shop.svc.cluster.local:80';
  readonly egress: UpstreamTarget | undefined;
  readonly port = 80;
  readonly startedAt = 0;
  destination: Destination | undefined;
  upstream: UpstreamTarget | undefined;
  telemetry: ExchangeTelemetry | undefined;
  readonly log: FakeExchangeLog = {
    attempts: [],
    relayed: [],
    dropped: [],
    cancelled: [],
    failures: [],
    forwarded: [],
    closed: false,
  };
  observer: AttemptObserver | undefined;
  options: AttemptOptions | undefined;

  constructor(
    private readonly answer: (address: string, attempt: number, fresh: boolean) => ScriptedAnswer,
    private readonly o: FakeExchangeOptions = {},
  ) {
    this.method = o.method ?? 'GET';
    this.path = o.path ?? '/';
    this.direction = o.direction ?? 'outbound';
    this.egress = o.egress;
  }

  header(lower: string): string | undefined {
    return this.o.headers?.[lower];
  }

  attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined {
    if (this.o.once === true) return undefined;
    this.observer = observer;
    this.options = options;
    const log = this.log;
    const bodyBytes = this.o.bodyBytes ?? 0;
    let inFlight: string | undefined;
    let sent = false;
    const deliver = (fn: () => void) => (this.o.async === true ? setImmediate(fn) : fn());
    return {
      bodyBytes,
      bodyReplayable: bodyBytes <= 64 * 1024,
      clientTimeoutMs: Number.NaN,
      get sent() {
        return sent;
      },
      send: (target, attempt, fresh) => {
        log.attempts.push({ address: target.address, attempt, fresh });
        const id = `${target.address}#${attempt}${fresh ? '+fresh' : ''}`;
        inFlight = id;
        const a = this.answer(target.address, attempt, fresh);
        sent = a.sent ?? true;
        if (a.hang === true) return;
        deliver(() => {
          if (inFlight !== id) return; // cancelled meanwhile
          inFlight = undefined;
          if (a.outcome.type === 'response') {
            if (observer.head(a.outcome)) log.relayed.push(id);
            else log.dropped.push(id);
            return;
          }
          observer.failed(
            a.outcome,
            a.sent ?? true,
            new WeftError('UNAVAILABLE', `${a.outcome.type} at ${id}`),
            a.stale === true,
          );
        });
      },
      cancelAttempt: () => {
        if (inFlight !== undefined) log.cancelled.push(inFlight);
        inFlight = undefined;
      },
      close: () => {
        log.closed = true;
        inFlight = undefined;
      },
    };
  }

  forward(upstream: UpstreamTarget): void {
    this.log.forwarded.push(upstream);
  }

  fail(error: WeftError): void {
    this.log.failures.push(error);
  }

  /** The relayed response finished (its permit is released). */
  endResponse(): void {
    this.observer?.ended();
  }

  /** The client went away. */
  goAway(): void {
    this.observer?.clientGone();
  }
}
