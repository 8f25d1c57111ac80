import { describe, expect, it } from 'vitest';
import { classify } from './detect.js';
import { decodePreamble, encodePreamble } from './preamble.js';

describe('classify', () => {
  it.each([
    ['GET / HTTP/1.1\r\n', 'http1'],
    ['M-SEARCH * HTTP/1.1', 'http1'],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'],
    ['\x16\x03\x01\x02\x00', 'tls'],
    ['\x00\x00\x00\x08', 'opaque'],
    ['get / HTTP/1.1', 'opaque'],
    ['SSH-2.0-OpenSSH', 'opaque'],
    ['PRI * HTTP/2', 'need-more'],
    ['GET', 'need-more'],
  ])('%j is %s', (bytes, expected) => {
    expect(classify(Buffer.from(bytes, 'latin1'))).toBe(expected);
  });
});

describe('preamble', () => {
  it('round-trips and rejects what is not one', () => {
    const b = encodePreamble({ protocol: 'h2', port: 8080 });
    expect(b.length).toBe(8);
    expect(decodePreamble(b)).toEqual({ type: 'ok', preamble: { protocol: 'h2', port: 8080 } });
    expect(decodePreamble(Buffer.from('GET / HT')).type).toBe('invalid');
    const bad = Buffer.from(b);
    bad[4] = 9;
    expect(decodePreamble(bad)).toEqual({ type: 'invalid', reason: 'unknown protocol code 9' });
  });
});
