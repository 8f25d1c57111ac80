// Logs: JSON for machines; one readable line per entry on a terminal.
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, prettyStream, subsystemLogger } from './logging.js';

describe('logFormat', () => {
  it('is pretty on a terminal and JSON elsewhere, unless WEFT_LOG_FORMAT says', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ WEFT_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ WEFT_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });
});

describe('prettyStream', () => {
  it('writes one line per entry: time, level, [component] [subsystem], message, remaining fields', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const log = pino({ base: { component: 'up' } }, prettyStream({ colour: false, destination: out }));
    log.info({ port: 7443, nested: { a: 1 } }, 'listening');
    subsystemLogger(log, 'tracing').warn('no collector');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[up\] listening \{"port":7443,"nested":\{"a":1\}\}$/,
    );
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[up\] \[tracing\] no collector$/);
  });
});

/** A destination that keeps each written line. */
function collected(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes the component field and redacts secrets', () => {
    const { lines, destination } = collected();
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

  it("names a part of a component in its own field, never a second 'component'", () => {
    const { lines, destination } = collected();
    const log = createLogger({ component: 'gateway', destination, level: 'info' });
    subsystemLogger(log, 'tracing').info('tracing disabled');
    const raw = lines[0] ?? '';
    expect(raw.match(/"component":/g)).toHaveLength(1);
    expect(JSON.parse(raw)).toMatchObject({
      component: 'gateway',
      subsystem: 'tracing',
      msg: 'tracing disabled',
    });
  });
});
