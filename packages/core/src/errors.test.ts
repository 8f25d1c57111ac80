import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeError, isWeftError, WeftError } from './errors.js';
import { createLogger } from './logger.js';

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

describe('createLogger', () => {
  it('writes the component field and redacts secrets', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ component: 'identity', destination, level: 'info' });
    log.info(
      { token: 'eyJhbGciOi.secret', request: { key: 'PRIVATE' }, identity: 'spiffe://x/ns/a/sa/b' },
      'issued',
    );
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line.component).toBe('identity');
    expect(line.msg).toBe('issued');
    expect(line.token).toBe('[redacted]');
    expect((line.request as Record<string, unknown>).key).toBe('[redacted]');
    expect(line.identity).toBe('spiffe://x/ns/a/sa/b');
    expect(lines.join('')).not.toContain('secret');
    expect(lines.join('')).not.toContain('PRIVATE');
  });
});
