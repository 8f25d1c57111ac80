/**
 * The 8-byte header a client proxy writes first on every mTLS connection to another proxy:
 * "WFT", version 1, the protocol carried, one reserved byte, the target port (big endian).
 * The server proxy reads it to learn which app port (and protocol) the connection is for.
 */

/** What a mesh connection carries after its preamble. */
export type MeshProtocol = 'opaque' | 'http1' | 'h2';

export const PREAMBLE_LENGTH = 8;
const MAGIC0 = 0x57; // W
const MAGIC1 = 0x46; // F
const MAGIC2 = 0x54; // T
const VERSION = 1;
const CODES: Record<MeshProtocol, number> = { opaque: 0, http1: 1, h2: 2 };
const PROTOCOLS: readonly MeshProtocol[] = ['opaque', 'http1', 'h2'];

/** The decoded preamble. */
export interface Preamble {
  readonly protocol: MeshProtocol;
  readonly port: number;
}

export function encodePreamble(preamble: Preamble): Buffer {
  const buf = Buffer.allocUnsafe(PREAMBLE_LENGTH);
  buf[0] = MAGIC0;
  buf[1] = MAGIC1;
  buf[2] = MAGIC2;
  buf[3] = VERSION;
  buf[4] = CODES[preamble.protocol];
  buf[5] = 0;
  buf.writeUInt16BE(preamble.port, 6);
  return buf;
}

/** True when `buf` (at least 4 bytes) starts like a weft preamble. */
export function looksLikePreamble(buf: Buffer): boolean {
  return buf.length >= 3 && buf[0] === MAGIC0 && buf[1] === MAGIC1 && buf[2] === MAGIC2;
}

export type PreambleResult = { type: 'ok'; preamble: Preamble } | { type: 'invalid'; reason: string };

/** Decodes the first PREAMBLE_LENGTH bytes of `buf`. */
export function decodePreamble(buf: Buffer): PreambleResult {
  if (buf.length < PREAMBLE_LENGTH || !looksLikePreamble(buf))
    return { type: 'invalid', reason: 'no weft preamble' };
  if (buf[3] !== VERSION) return { type: 'invalid', reason: `unsupported preamble version ${buf[3]}` };
  const protocol = PROTOCOLS[buf[4] ?? 255];
  if (protocol === undefined) return { type: 'invalid', reason: `unknown protocol code ${buf[4]}` };
  const port = buf.readUInt16BE(6);
  if (port === 0) return { type: 'invalid', reason: 'target port 0' };
  return { type: 'ok', preamble: { protocol, port } };
}
