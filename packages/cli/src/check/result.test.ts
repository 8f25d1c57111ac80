import { describe, expect, it } from 'vitest';
import { fail, ok, passed, renderJson, renderText, runChecks, warn } from './result.js';

describe('renderText', () => {
  it('prints one line per check, hints indented, and a summary', () => {
    const text = renderText([
      ok('API is reachable', 'v1.31.0'),
      warn('issuer', 'expires in 3 days\nrotate it'),
      fail('readyz', 'HTTP 503'),
    ]);
    expect(text).toBe(
      [
        '✔ API is reachable (v1.31.0)',
        '‼ issuer',
        '    expires in 3 days',
        '    rotate it',
        '✖ readyz',
        '    HTTP 503',
        '',
        'Status check results are ✖ (1 failed, 1 warning)',
        '',
      ].join('\n'),
    );
  });

  it('passes with warnings', () => {
    expect(
      renderText([ok('a'), warn('b', 'h')])
        .trimEnd()
        .split('\n')
        .at(-1),
    ).toBe('Status check results are ✔ (1 warning)');
    expect(passed([ok('a'), warn('b', 'h')])).toBe(true);
    expect(passed([ok('a'), fail('b', 'h')])).toBe(false);
  });
});

describe('renderJson', () => {
  it('gives success and every check', () => {
    expect(JSON.parse(renderJson([ok('a'), fail('b', 'why')]))).toEqual({
      success: false,
      checks: [
        { name: 'a', status: 'ok' },
        { name: 'b', status: 'fail', hint: 'why' },
      ],
    });
  });
});

describe('runChecks', () => {
  it('keeps order, flattens several results, and turns a throw or a hang into a failure', async () => {
    const results = await runChecks(
      [
        { name: 'one', run: async () => ok('one') },
        { name: 'two', run: async () => [ok('two a'), warn('two b', 'h')] },
        {
          name: 'three',
          run: async () => {
            throw new Error('boom');
          },
        },
        { name: 'four', run: () => new Promise(() => {}) },
      ],
      50,
    );
    expect(results).toEqual([
      ok('one'),
      ok('two a'),
      warn('two b', 'h'),
      fail('three', 'boom'),
      fail('four', 'no answer within 0.05 s'),
    ]);
  });
});
