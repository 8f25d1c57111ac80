/** gRPC's own deadline on a call: the `grpc-timeout` request header. */

const MAX_TIMER_MS = 2 ** 31 - 1;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * The deadline of a gRPC call from its `grpc-timeout` header (up to 8 digits and a unit: H, M,
 * S, m, u, n; e.g. `250m`, `5S`), in ms and at least 1. Undefined for a request that is not
 * gRPC, has no such header, a malformed value (which is then ignored), or one too long for a
 * timer (over 2^31-1 ms).
 */
export function grpcTimeoutMs(
  contentType: string | undefined,
  value: string | undefined,
): number | undefined {
  if (value === undefined || contentType?.startsWith('application/grpc') !== true) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (m === null) return undefined;
  const ms = Math.max(1, Number(m[1]) * (UNIT_MS[m[2] as string] as number));
  // Beyond what a timer can hold (about 24.8 days) the deadline is as good as none.
  return ms > MAX_TIMER_MS ? undefined : ms;
}
