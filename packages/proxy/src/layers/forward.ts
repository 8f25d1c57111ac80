/**
 * The terminal handler: sends the request to the upstream the layers chose, as one attempt.
 * Through the exchange's attempt channel when it has one (so a stale keep-alive connection is
 * resent by the one retry state machine), else forwarded once (upgrades, CONNECT, HTTP/2).
 */
import type { Clock, Random } from '@weft/core';
import { TrafficCall, type TrafficCallDeps } from '../traffic/traffic-call.js';
import type { TrafficCounters } from '../traffic/traffic-metrics.js';
import type { AttemptOptions, Handler } from './types.js';

/** One attempt, the request as it arrived (no attempt header), the pool's own connection settings. */
const FIXED: AttemptOptions = { markAttempt: false, connections: undefined, retries: false };

export interface ForwardOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly counters?: TrafficCounters;
}

/** Builds the terminal handler. Throws if a request reaches it without an upstream (a wiring bug). */
export function forwardToUpstream(o: ForwardOptions): Handler {
  const deps: TrafficCallDeps = {
    clock: o.clock,
    random: o.random,
    ...(o.counters === undefined ? {} : { counters: o.counters }),
  };
  return (req) => {
    const upstream = req.upstream;
    if (upstream === undefined) throw new Error('forward reached without an upstream');
    const call = new TrafficCall(req, deps);
    const channel = req.attempts(call, FIXED);
    if (channel !== undefined) {
      call.startFixed(upstream, channel);
      return;
    }
    req.telemetry?.attemptStarted(upstream, 1);
    req.forward(upstream);
  };
}
