// Fuzz target: the weft.2 frame decoder (bytes a peer sidecar sends after ALPN weft.2).
//
// Byte 0 chooses where to split the rest into two reads (the network splits anywhere).
// Invariants: the decoder never throws; feeding whole or split gives the same frames and the same
// error; every frame it delivers has a known type, a payload within the cap, the fixed length of
// its type, and a stream id that is 0 exactly for GOAWAY; re-encoding the delivered frames gives
// back exactly the bytes they came from; what it holds for an incomplete frame stays under one
// header plus one capped payload.
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
} from '../../../packages/proxy/dist/transport/frame.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'weft.2 frame decoder: whole vs split feeds, header rules, exact re-encoding',
  sync: true,
  includes: ['packages/proxy/dist/transport/frame'],
};

const FIXED = {
  [FrameType.Open]: 8,
  [FrameType.End]: 0,
  [FrameType.Reset]: 4,
  [FrameType.Window]: 4,
  [FrameType.GoAway]: 8,
};

function run(pieces) {
  const decoder = new FrameDecoder();
  const frames = [];
  let error;
  for (const piece of pieces) {
    error = decoder.feed(piece, (type, stream, payload) => {
      frames.push({ type, stream, payload: Buffer.from(payload) });
    });
    check(
      decoder.buffered < HEADER_LENGTH + MAX_FRAME_PAYLOAD,
      () => `holds ${decoder.buffered} bytes for an incomplete frame`,
    );
    if (error !== undefined) break;
  }
  return { frames, error };
}

export function fuzz(data) {
  if (data.length < 1) return;
  const bytes = data.subarray(1);
  const at = bytes.length === 0 ? 0 : data[0] % (bytes.length + 1);
  const whole = run([bytes]);
  const split = run([bytes.subarray(0, at), bytes.subarray(at)]);
  check(whole.error === split.error, () => `whole ${whole.error}, split at ${at} ${split.error}`);
  check(whole.frames.length === split.frames.length, 'split feeding changed the frame count');
  const encoded = [];
  whole.frames.forEach((f, i) => {
    const g = split.frames[i];
    check(
      g.type === f.type && g.stream === f.stream && g.payload.equals(f.payload),
      `frame ${i} differs when split`,
    );
    check(f.type >= FrameType.Open && f.type <= FrameType.GoAway, () => `delivered unknown type ${f.type}`);
    check(f.payload.length <= MAX_FRAME_PAYLOAD, 'delivered an oversized payload');
    const fixed = FIXED[f.type];
    check(
      fixed === undefined || f.payload.length === fixed,
      () => `type ${f.type} with ${f.payload.length} bytes`,
    );
    check((f.type === FrameType.GoAway) === (f.stream === 0), () => `type ${f.type} on stream ${f.stream}`);
    encoded.push(encodeFrame(f.type, f.stream, f.payload));
  });
  const prefix = Buffer.concat(encoded);
  check(prefix.equals(bytes.subarray(0, prefix.length)), 're-encoded frames differ from the input');
}
