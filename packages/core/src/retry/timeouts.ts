/** Request and per-try timeouts: how long the next attempt may take, and which timeout it would hit. */

/** Which timeout ended a request; the 504 body names it. */
export type TimeoutKind = 'request' | 'per-try';

/** The timer for the next attempt. */
export type AttemptTimer =
  | { readonly type: 'none' }
  | { readonly type: 'timer'; readonly ms: number; readonly kind: TimeoutKind }
  | { readonly type: 'expired' };

/**
 * The timer to arm for an attempt starting at `now`: the shorter of the per-try timeout and
 * the time left before the request deadline (monotonic ms), named for the one that binds.
 */
export function attemptTimer(options: {
  now: number;
  requestDeadline?: number;
  perTryMs?: number;
}): AttemptTimer {
  const remaining = options.requestDeadline === undefined ? undefined : options.requestDeadline - options.now;
  if (remaining !== undefined && remaining <= 0) return { type: 'expired' };
  if (options.perTryMs !== undefined && (remaining === undefined || options.perTryMs < remaining)) {
    return { type: 'timer', ms: options.perTryMs, kind: 'per-try' };
  }
  if (remaining !== undefined) return { type: 'timer', ms: remaining, kind: 'request' };
  return { type: 'none' };
}

/** The body of the 504 a proxy answers when a timeout ends the request. */
export function timeoutMessage(kind: TimeoutKind, ms: number): string {
  return kind === 'request'
    ? `upstream request timeout: no response within the request timeout of ${ms} ms\n`
    : `upstream request timeout: the last attempt exceeded the per-try timeout of ${ms} ms\n`;
}
