import { describe, expect, it } from 'vitest';
import { describeError, isWeftError, WeftError } from './errors.js';

describe('WeftError', () => {
  it('carries a stable code and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new WeftError('UNAVAILABLE', 'control plane unreachable', { cause });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.cause).toBe(cause);
    expect(isWeftError(err)).toBe(true);
    expect(isWeftError(err, 'UNAVAILABLE')).toBe(true);
    expect(isWeftError(err, 'INTERNAL')).toBe(false);
    expect(isWeftError(cause)).toBe(false);
    expect(describeError(err)).toBe('control plane unreachable');
    expect(describeError('plain')).toBe('plain');
  });
});
