import { describe, expect, it } from 'vitest';
import { classifyStderrLine } from './supervisor.js';

describe('classifyStderrLine', () => {
  it('surfaces warnings and errors of a child by their message', () => {
    const line = JSON.stringify({
      level: 50,
      msg: 'demo.yaml:12: TrafficSplit/api: spec.backends[1].weight: …',
    });
    expect(classifyStderrLine(line)).toEqual({
      type: 'problem',
      text: 'demo.yaml:12: TrafficSplit/api: spec.backends[1].weight: …',
      level: 'error',
    });
    expect(classifyStderrLine(JSON.stringify({ level: 40, msg: 'careful' }))).toEqual({
      type: 'problem',
      text: 'careful',
      level: 'warn',
    });
  });

  it('keeps info and debug lines for the debug log only', () => {
    expect(classifyStderrLine(JSON.stringify({ level: 30, msg: 'serving' }))).toEqual({ type: 'debug' });
    expect(classifyStderrLine('')).toEqual({ type: 'debug' });
  });

  it('never drops a line that is not a log line (a crash, a raw library message)', () => {
    expect(classifyStderrLine('E1202 17:00:00 grpc: bind failed')).toEqual({
      type: 'problem',
      text: 'E1202 17:00:00 grpc: bind failed',
      level: 'error',
    });
    expect(classifyStderrLine('{not json')).toMatchObject({ type: 'problem', text: '{not json' });
  });
});
