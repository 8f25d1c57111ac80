/** The Node.js runtime flags every sidecar (`weft proxy`) is started with, by the injector and `weft up`. */

/**
 * V8 flags for sidecars, chosen by measurement (docs/proxy-transport.md, "Sidecar memory"):
 * a 2 MB semi-space keeps the young generation from growing to 32 MB under load and after a
 * connection storm (V8 does not shrink it again), at no measured throughput cost and with a
 * lower mesh p99. V8 reads it only at start, so it goes in `NODE_OPTIONS`.
 */
export const SIDECAR_V8_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * `NODE_OPTIONS` for a sidecar: `existing` (an operator's own options) followed by each
 * sidecar flag whose name `existing` does not already set, so an explicit choice wins.
 */
export function sidecarNodeOptions(existing = ''): string {
  const parts = existing.split(/\s+/).filter((p) => p !== '');
  for (const flag of SIDECAR_V8_FLAGS) {
    const name = flag.split('=')[0]!;
    if (!parts.some((p) => p === name || p.startsWith(`${name}=`))) parts.push(flag);
  }
  return parts.join(' ');
}
