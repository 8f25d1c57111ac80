/** The reset budget's windows, the code labels, and the mapping of limits onto Node's http2 options. */
import { constants } from 'node:http2';
import { describe, expect, it } from 'vitest';
import {
  clientOptions,
  codeName,
  DEFAULT_H2_LIMITS,
  errorCode,
  ResetBudget,
  serverOptions,
} from './h2-limits.js';

describe('ResetBudget', () => {
  it('allows max resets per window, refuses the next, and starts over in a new window', () => {
    const b = new ResetBudget(3, 1000);
    expect([b.hit(0), b.hit(10), b.hit(20)]).toEqual([false, false, false]);
    expect(b.hit(999)).toBe(true);
    expect(b.hit(1000)).toBe(false); // a new window
    expect([b.hit(1001), b.hit(1002)]).toEqual([false, false]);
    expect(b.hit(1003)).toBe(true);
  });
});

describe('codeName and errorCode', () => {
  it('names every RFC 9113 code and folds anything else into unknown', () => {
    expect(codeName(constants.NGHTTP2_CANCEL)).toBe('cancel');
    expect(codeName(constants.NGHTTP2_ENHANCE_YOUR_CALM)).toBe('enhance_your_calm');
    for (let code = 0; code <= 13; code++) expect(codeName(code)).not.toBe('unknown');
    expect(codeName(14)).toBe('unknown');
    expect(codeName(0xffffffff)).toBe('unknown');
  });

  it('labels errors by their stable code only', () => {
    const withCode = (code: unknown) => Object.assign(new Error('x'), { code });
    expect(errorCode(withCode('ERR_HTTP2_ERROR'))).toBe('ERR_HTTP2_ERROR');
    expect(errorCode(withCode('UNAVAILABLE'))).toBe('UNAVAILABLE');
    expect(errorCode(withCode('peer said "hi"'))).toBe('unknown');
    expect(errorCode(withCode(42))).toBe('unknown');
    expect(errorCode(new Error('x'))).toBe('unknown');
  });
});

describe('Node http2 options', () => {
  it('hands every server limit to Node rather than reimplementing it', () => {
    const o = serverOptions({ ...DEFAULT_H2_LIMITS, maxConcurrentStreams: 7, maxInvalidFrames: 9 }, 16_384);
    expect(o.settings).toEqual({
      enablePush: false,
      maxHeaderListSize: 16_384,
      maxConcurrentStreams: 7,
      headerTableSize: DEFAULT_H2_LIMITS.headerTableSize,
    });
    expect(o).toMatchObject({
      maxSessionInvalidFrames: 9,
      maxSessionRejectedStreams: DEFAULT_H2_LIMITS.maxRejectedStreams,
      maxHeaderListPairs: DEFAULT_H2_LIMITS.maxHeaderListPairs,
      maxSettings: DEFAULT_H2_LIMITS.maxSettings,
      maxOutstandingPings: DEFAULT_H2_LIMITS.maxOutstandingPings,
      maxSessionMemory: DEFAULT_H2_LIMITS.maxSessionMemoryMb,
    });
  });

  it('bounds what upstreams send too', () => {
    const o = clientOptions(DEFAULT_H2_LIMITS, 65_536);
    expect(o.settings).toMatchObject({ enablePush: false, maxHeaderListSize: 65_536 });
    expect(o).toMatchObject({ maxHeaderListPairs: 128, maxSettings: 32, maxSessionMemory: 10 });
  });
});
