/**
 * Joins a serialized head (latin1 text) and the first body bytes into one buffer, so a
 * message that fits in one read goes out in one write() instead of a corked writev: fewer
 * stream-machinery steps and one plain syscall per message on the hot path.
 */
export function headWithBody(head: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  return out;
}
