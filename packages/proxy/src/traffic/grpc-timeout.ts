/** gRPC's own deadline on a call: the `grpc-timeout` request header. */

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * The deadline of a gRPC call from its `grpc-timeout` header (up to 8 digits and a unit: H, M,
 * S, m, u, n; e.g. `250m`, `5S`), in ms and at least 1. Undefined for a request that is not
 * gRPC, has no such header, or a malformed value (which is then ignored).
 */
export function grpcTimeoutMs(
  contentType: string | undefined,
  value: string | undefined,
): number | undefined {
  if (value === undefined || contentType?.startsWith('application/grpc') !== true) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (m === null) return undefined;
  return Math.max(1, Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}
