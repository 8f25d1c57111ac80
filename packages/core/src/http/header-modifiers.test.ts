import { describe, expect, it } from 'vitest';
import { modifiableHeader } from './header-modifiers.js';

describe('modifiableHeader', () => {
  it('refuses Host, pseudo-headers and the framing and connection headers, in any case', () => {
    for (const name of [
      'Host',
      ':path',
      ':authority',
      'Content-Length',
      'TRANSFER-ENCODING',
      'connection',
      'te',
      'upgrade',
    ])
      expect(modifiableHeader(name), name).toBe(false);
  });

  it('allows every other header name', () => {
    for (const name of ['x-app', 'Strict-Transport-Security', 'content-type', 'cache-control', 'location'])
      expect(modifiableHeader(name), name).toBe(true);
  });
});
