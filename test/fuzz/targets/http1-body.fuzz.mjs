// Fuzz target: the HTTP/1 body framer (Content-Length, chunked, until-close), fed in pieces.
//
// Invariants: a feed never claims more bytes than it was given; once a body is done the framer is
// complete and claims nothing more; payload ranges lie inside the bytes claimed and never exceed
// them in total; for Content-Length exactly min(length, bytes) are payload; and feeding the same
// bytes in one piece or split at fuzz-chosen points gives the same verdict, length and payload (the
// network splits reads anywhere).
import { BodyFramer } from '../../../packages/proxy/dist/http1/body-framer.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'HTTP/1 body framer, whole vs split feeds',
  sync: true,
  includes: ['packages/proxy/dist/http1/body-framer'],
};

/** Runs the framer over `pieces`; returns the verdict, bytes claimed and payload bytes. */
function frame(framing, pieces) {
  const framer = new BodyFramer();
  framer.reset(framing);
  const payload = [];
  let claimed = 0;
  let window = [0, 0];
  framer.onPayload = (buf, start, end) => {
    check(
      start >= window[0] && end <= window[1] && start <= end,
      () => `payload [${start},${end}) outside [${window}]`,
    );
    payload.push(Buffer.from(buf.subarray(start, end)));
  };
  // The connection hands the framer a buffer and the offset where the body's bytes start.
  for (const { piece, offset } of pieces) {
    window = [offset, piece.length];
    const r = framer.feed(piece, offset);
    if (r.type === 'error') {
      check(typeof r.reason === 'string' && r.reason !== '', 'error without a reason');
      return { verdict: 'error', claimed, payload: Buffer.concat(payload) };
    }
    check(
      r.used >= 0 && r.used <= piece.length - offset,
      () => `used ${r.used} of ${piece.length - offset} bytes`,
    );
    claimed += r.used;
    if (r.type === 'done') {
      check(framer.complete, 'done but not complete');
      const again = framer.feed(Buffer.from('0\r\n\r\n'), 0);
      check(again.type === 'done' && again.used === 0, 'a done framer claimed more bytes');
      return { verdict: 'done', claimed, payload: Buffer.concat(payload) };
    }
    check(r.used === piece.length - offset, 'more but did not use every byte');
  }
  return { verdict: 'more', claimed, payload: Buffer.concat(payload) };
}

function framingOf(selector, data) {
  switch (selector % 4) {
    case 0:
      return { kind: 'chunked' };
    case 1:
      return { kind: 'length', length: data.length > 0 ? (data[0] << 8) | data[1 % data.length] : 1 };
    case 2:
      return { kind: 'close' };
    default:
      return { kind: 'none' };
  }
}

export function fuzz(data) {
  if (data.length < 2) return;
  const framing = framingOf(data[0], data.subarray(2));
  const cut = data[1];
  const body = data.subarray(2);
  // The split pieces start after bytes of a previous message, as on a keep-alive connection.
  const behind = (bytes) => ({ piece: Buffer.concat([Buffer.from('HEAD\r\n'), bytes]), offset: 6 });
  const whole = frame(framing, [{ piece: body, offset: 0 }]);
  const at = body.length === 0 ? 0 : cut % (body.length + 1);
  const split = frame(framing, [behind(body.subarray(0, at)), behind(body.subarray(at))]);
  // An error result claims nothing (the connection is closed), so payload is bounded by the input.
  const bound = whole.verdict === 'error' ? body.length : whole.claimed;
  check(whole.claimed <= body.length && whole.payload.length <= bound, 'payload exceeds the bytes claimed');
  check(whole.verdict === split.verdict, () => `whole ${whole.verdict}, split at ${at} ${split.verdict}`);
  if (whole.verdict !== 'error') {
    check(whole.claimed === split.claimed, () => `whole claimed ${whole.claimed}, split ${split.claimed}`);
    check(whole.payload.equals(split.payload), 'split feeding changed the payload');
  }
  if (framing.kind === 'length') {
    check(whole.payload.length === Math.min(framing.length, body.length), 'length body payload size');
  }
}
