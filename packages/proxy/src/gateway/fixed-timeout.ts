/**
 * The route's timeout for a backend outside the mesh. Such a request is sent once, on the
 * traffic path's fixed (single-attempt) path, which has no deadline of its own; this observer
 * gives the attempt `ms` to produce a response head, then cancels it and reports it timed out,
 * so the client gets the same 504 a mesh backend's timeout gives.
 */
import type { AttemptOutcome, WeftError } from '@weft/core';
import type { Destination } from '../discovery/resolver.js';
import type { AttemptChannel, AttemptObserver, ResponseOutcome } from '../layers/types.js';
import { TimeoutError } from '../traffic/errors.js';

const TIMED_OUT: AttemptOutcome = { type: 'timeout', kind: 'request' };

export class FixedTimeout implements AttemptObserver {
  private timer: NodeJS.Timeout | undefined;
  private channel: AttemptChannel | undefined;
  private settled = false;

  constructor(
    private readonly inner: AttemptObserver,
    private readonly ms: number,
  ) {}

  /** Starts the clock for the attempt on `channel`. */
  start(channel: AttemptChannel): void {
    this.channel = channel;
    this.timer = setTimeout(() => this.expire(), this.ms);
  }

  head(outcome: ResponseOutcome): boolean {
    this.settle();
    return this.inner.head(outcome);
  }

  failed(outcome: AttemptOutcome, sent: boolean, error: WeftError, stale: boolean): void {
    if (this.settled) return;
    this.settle();
    this.inner.failed(outcome, sent, error, stale);
  }

  ended(): void {
    this.inner.ended();
  }

  clientGone(): void {
    this.settle();
    this.inner.clientGone();
  }

  private settle(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private expire(): void {
    this.timer = undefined;
    if (this.settled || this.channel === undefined) return;
    this.settled = true;
    const sent = this.channel.sent;
    this.channel.cancelAttempt();
    this.inner.failed(
      TIMED_OUT,
      sent,
      new TimeoutError(`no response within the route's ${this.ms} ms timeout`),
      false,
    );
  }
}

/**
 * Opens the attempt of an exchange with the route's timeout `ms` when the exchange goes outside
 * the mesh (no `destination`) and the route has one (not NaN); otherwise as it is.
 */
export function withFixedTimeout(
  ms: number,
  destination: Destination | undefined,
  observer: AttemptObserver,
  open: (observer: AttemptObserver) => AttemptChannel | undefined,
): AttemptChannel | undefined {
  if (Number.isNaN(ms) || destination !== undefined) return open(observer);
  const clock = new FixedTimeout(observer, ms);
  const channel = open(clock);
  if (channel !== undefined) clock.start(channel);
  return channel;
}
