/** The native splice(2) relay from weft's addon (`spliceRelay`), or undefined when it is not built or disabled. */
import { createRequire } from 'node:module';

/** Built by `npm run build:native`; the same relative path holds from src/net/ and dist/net/. */
const ADDON_PATH = '../../native/original-dst/build/Release/original_dst.node';

/** An opaque handle to one running native relay. */
export type SpliceHandle = object & { readonly __spliceHandle?: never };

/**
 * The addon's relay functions (see native/original-dst/splice_relay.c).
 * `spliceRelay` duplicates both fds and relays between them until both directions finished,
 * an error, or `spliceClose`; `counts` ([read from a, written to b, read from b, written to
 * a]) is kept current by the addon; `onEnd(errno, side)` runs once, after the addon closed
 * its duplicates: errno 0 when both directions finished, ECANCELED after `spliceClose`,
 * otherwise the errno of `side` (0 = a, 1 = b).
 */
export interface SpliceAddon {
  spliceRelay(
    fdA: number,
    fdB: number,
    counts: Float64Array,
    onEnd: (errno: number, side: number) => void,
    pipeSize?: number,
  ): SpliceHandle;
  spliceClose(handle: SpliceHandle): void;
  /**
   * Closes the idle pipes the relays share (a direction holds a pipe only while bytes are in
   * it; at most 64 idle ones are kept) and returns how many were closed.
   */
  splicePoolTrim(): number;
}

let loaded: SpliceAddon | null | undefined;
let disabled = false;

/**
 * Turns the splice relay off (`true`: every opaque relay copies in JS, as without the addon)
 * or back on. For tests of the fallback and for A/B measurements.
 */
export function setSpliceDisabled(off: boolean): void {
  disabled = off;
}

/** The addon's relay, or undefined when it is not built, cannot load, predates it, or is disabled. */
export function loadSplice(): SpliceAddon | undefined {
  if (disabled) return undefined;
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.platform !== 'linux') return undefined;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Partial<SpliceAddon>;
    if (
      typeof addon.spliceRelay === 'function' &&
      typeof addon.spliceClose === 'function' &&
      typeof addon.splicePoolTrim === 'function'
    )
      loaded = addon as SpliceAddon;
  } catch {
    // Not built (or built for another Node ABI, or musl without the build): copy in JS.
  }
  return loaded ?? undefined;
}
