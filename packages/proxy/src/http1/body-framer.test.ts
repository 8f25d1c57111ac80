import { describe, expect, it } from 'vitest';
import { BodyFramer } from './body-framer.js';

function feedAll(f: BodyFramer, parts: string[]) {
  const results = [];
  for (const p of parts) results.push(f.feed(Buffer.from(p, 'latin1'), 0));
  return results;
}

describe('BodyFramer', () => {
  it('counts Content-Length bodies and leaves the next message untouched', () => {
    const f = new BodyFramer();
    f.reset({ kind: 'length', length: 5 });
    expect(feedAll(f, ['ab', 'cdeGET'])).toEqual([
      { type: 'more', used: 2 },
      { type: 'done', used: 3 },
    ]);
  });

  it('validates chunked framing across arbitrary splits, with extensions and trailers', () => {
    const body = '5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: v\r\n\r\nNEXT';
    for (let split = 1; split < body.length - 4; split++) {
      const f = new BodyFramer();
      f.reset({ kind: 'chunked' });
      const payload: string[] = [];
      f.onPayload = (b, s, e) => payload.push(b.toString('latin1', s, e));
      const r1 = f.feed(Buffer.from(body.slice(0, split), 'latin1'), 0);
      const used1 = r1.type === 'error' ? -1 : r1.used;
      let total = used1;
      if (r1.type === 'more') {
        const r2 = f.feed(Buffer.from(body.slice(split), 'latin1'), 0);
        expect(r2.type).toBe('done');
        total += r2.type === 'done' ? r2.used : 0;
      }
      expect(total).toBe(body.length - 4);
      expect(payload.join('')).toBe('hello0123456789');
    }
  });

  it.each([
    ['non-hex size', 'zz\r\n'],
    ['bare LF after size', '5\nhello\r\n'],
    ['data longer than its size', '2\r\nhello\r\n'],
    ['control byte in extension', '5;\x01\r\n'],
    ['size overflow', 'fffffffffffffff\r\n'],
  ])('rejects %s', (_name, bytes) => {
    const f = new BodyFramer();
    f.reset({ kind: 'chunked' });
    expect(f.feed(Buffer.from(bytes, 'latin1'), 0).type).toBe('error');
  });
});
