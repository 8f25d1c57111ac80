/** The original destination of a transparently intercepted TCP connection (SO_ORIGINAL_DST). */

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { WeftError } from '@weft/core';

/** Where a connection was headed before iptables `REDIRECT` sent it to the proxy. */
export interface OriginalDst {
  /** The pre-NAT destination address, dotted IPv4 or IPv6 text. */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

interface Addon {
  originalDst(fd: number): { address: string; port: number; family: number } | { errno: number };
}

/** Built by `npm run build:native`; the same relative path holds from src/ and dist/. */
const ADDON_PATH = '../native/original-dst/build/Release/original_dst.node';

let addon: Addon | undefined;

function loadAddon(): Addon {
  if (addon !== undefined) return addon;
  if (process.platform !== 'linux') {
    throw new WeftError(
      'FAILED_PRECONDITION',
      `SO_ORIGINAL_DST is only available on Linux, not ${process.platform}`,
    );
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    throw new WeftError(
      'FAILED_PRECONDITION',
      'the original-destination addon is not built: run `npm run build:native` at the repository root',
      { cause: err },
    );
  }
  return addon;
}

/**
 * Loads the addon now, so that a proxy with a transparent listener fails at startup
 * rather than on its first connection. Throws the same WeftError as getOriginalDst.
 */
export function ensureOriginalDstAddon(): void {
  loadAddon();
}

/** errno values that mean "this connection has no NAT record", not a failure. */
const NO_RECORD = new Set([constants.errno.ENOENT, constants.errno.ENOPROTOOPT, constants.errno.ENOTCONN]);

/**
 * Reads the destination `socket` was sent to before iptables `REDIRECT` (IPv4 and IPv6,
 * including IPv4 on a dual-stack listener).
 *
 * Returns undefined when the kernel has no record for the connection (conntrack not
 * loaded, or the socket already closed). For a connection that was not redirected but is
 * tracked, the kernel answers with the socket's own local address: callers compare it
 * with `socket.localAddress/localPort` to detect connections aimed at the proxy itself.
 * Throws WeftError FAILED_PRECONDITION when the addon is not built, INTERNAL on any other
 * getsockopt failure.
 */
export function getOriginalDst(socket: Socket): OriginalDst | undefined {
  const native = loadAddon();
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const result = native.originalDst(fd);
  if ('errno' in result) {
    if (NO_RECORD.has(result.errno)) return undefined;
    throw new WeftError('INTERNAL', `getsockopt(SO_ORIGINAL_DST) failed with errno ${result.errno}`);
  }
  return { address: result.address, port: result.port, family: result.family === 6 ? 6 : 4 };
}
