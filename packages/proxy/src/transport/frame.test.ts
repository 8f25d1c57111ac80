/** The weft.2 frame decoder: whole and split feeds, and every header-level violation. */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameType, HEADER_LENGTH, MAX_FRAME_PAYLOAD, u32 } from './frame.js';

type Seen = [number, number, string];

function decode(bytes: Buffer, cuts: number[] = []): { frames: Seen[]; error: string | undefined } {
  const decoder = new FrameDecoder();
  const frames: Seen[] = [];
  let error: string | undefined;
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    error ??= decoder.feed(bytes.subarray(from, at), (type, stream, payload) => {
      frames.push([type, stream, payload.toString('latin1')]);
    });
    from = at;
  }
  return { frames, error };
}

const open = Buffer.from('WFT\x01\x01\x00\x00\x50', 'latin1');

describe('FrameDecoder', () => {
  it('decodes a sequence of frames, whole or split at every byte', () => {
    const bytes = Buffer.concat([
      encodeFrame(FrameType.Open, 1, open),
      encodeFrame(FrameType.Data, 1, Buffer.from('hello')),
      encodeFrame(FrameType.Window, 1, u32(5)),
      encodeFrame(FrameType.End, 1),
      encodeFrame(FrameType.Reset, 3, u32(0)),
      encodeFrame(FrameType.GoAway, 0, Buffer.alloc(8)),
    ]);
    const whole = decode(bytes);
    expect(whole.error).toBeUndefined();
    expect(whole.frames.map(([t, s]) => [t, s])).toEqual([
      [FrameType.Open, 1],
      [FrameType.Data, 1],
      [FrameType.Window, 1],
      [FrameType.End, 1],
      [FrameType.Reset, 3],
      [FrameType.GoAway, 0],
    ]);
    expect(whole.frames[1]![2]).toBe('hello');
    for (let cut = 1; cut < bytes.length; cut++) expect(decode(bytes, [cut])).toEqual(whole);
    // One byte at a time.
    expect(decode(bytes, [...Array(bytes.length).keys()].slice(1))).toEqual(whole);
  });

  it('holds at most one incomplete frame', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame(FrameType.Data, 1, Buffer.alloc(1000));
    expect(decoder.feed(frame.subarray(0, 500), () => {})).toBeUndefined();
    expect(decoder.buffered).toBe(500);
  });

  const bad: [string, Buffer, string][] = [
    ['an unknown type', Buffer.from([9, 0, 0, 0, 0, 1, 0, 0, 0]), 'unknown-type'],
    ['flags set', Buffer.from([FrameType.Data, 1, 0, 0, 0, 1, 0, 0, 0]), 'bad-flags'],
    ['a payload over the cap', header(FrameType.Data, 1, MAX_FRAME_PAYLOAD + 1), 'frame-too-large'],
    ['an OPEN that is not 8 bytes', encodeFrame(FrameType.Open, 1, Buffer.alloc(7)), 'bad-length'],
    ['an END with a payload', encodeFrame(FrameType.End, 1, Buffer.alloc(1)), 'bad-length'],
    ['a WINDOW of 3 bytes', encodeFrame(FrameType.Window, 1, Buffer.alloc(3)), 'bad-length'],
    ['DATA on stream 0', encodeFrame(FrameType.Data, 0, Buffer.alloc(1)), 'bad-stream-id'],
    ['GOAWAY on a stream', encodeFrame(FrameType.GoAway, 1, Buffer.alloc(8)), 'bad-stream-id'],
    ['a stream id with the top bit', header(FrameType.End, 0x80000001, 0), 'bad-stream-id'],
  ];
  for (const [what, bytes, reason] of bad) {
    it(`refuses ${what} from its header alone (${reason}), after the frames before it`, () => {
      const good = encodeFrame(FrameType.Data, 1, Buffer.from('ok'));
      const r = decode(Buffer.concat([good, bytes.subarray(0, HEADER_LENGTH)]));
      expect(r.error).toBe(reason);
      expect(r.frames).toEqual([[FrameType.Data, 1, 'ok']]);
    });
  }

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder();
    expect(decoder.feed(Buffer.from([9, 0, 0, 0, 0, 1, 0, 0, 0]), () => {})).toBe('unknown-type');
    const frames: number[] = [];
    expect(decoder.feed(encodeFrame(FrameType.End, 1), (t) => frames.push(t))).toBe('unknown-type');
    expect(frames).toEqual([]);
  });
});

function header(type: number, stream: number, length: number): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  b[0] = type;
  b.writeUInt32BE(stream, 2);
  b[6] = (length >>> 16) & 0xff;
  b[7] = (length >>> 8) & 0xff;
  b[8] = length & 0xff;
  return b;
}
