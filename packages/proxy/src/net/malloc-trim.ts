/** glibc `malloc_trim(0)` from weft's native addon, or undefined when the addon is not built. */
import { createRequire } from 'node:module';

/** Built by `npm run build:native`; the same relative path holds from src/net/ and dist/net/. */
const ADDON_PATH = '../../native/original-dst/build/Release/original_dst.node';

interface TrimAddon {
  mallocTrim?: () => boolean;
}

let loaded: (() => boolean) | null | undefined;

/**
 * The addon's `mallocTrim` (returns true when memory went back to the kernel), or undefined
 * when the addon is not built, cannot load on this platform, or predates the function: memory
 * reclaim then runs without trimming the C heap.
 */
export function loadMallocTrim(): (() => boolean) | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.platform !== 'linux') return undefined;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as TrimAddon;
    if (typeof addon.mallocTrim === 'function') loaded = addon.mallocTrim;
  } catch {
    // Not built (or built for another Node ABI): reclaim only the V8 heap.
  }
  return loaded ?? undefined;
}
