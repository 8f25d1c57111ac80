/** The Prometheus text reader: in-place line scanning, escaped label values, bad lines named by number. */
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads names, labels (escaped and not), values and ignores comments, timestamps, CRLF and indentation', () => {
    const text = [
      '# HELP a_total help',
      '# TYPE a_total counter',
      'a_total{x="1",y="two words"} 3',
      '  b{q="a\\"b",n="line\\nnext",s="back\\\\slash"} 4.5 1700000000000\r',
      'c 7',
      '',
      'd{le="+Inf"} +Inf',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      { name: 'a_total', labels: { x: '1', y: 'two words' }, value: 3 },
      { name: 'b', labels: { q: 'a"b', n: 'line\nnext', s: 'back\\slash' }, value: 4.5 },
      { name: 'c', labels: {}, value: 7 },
      { name: 'd', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it('names the line of a malformed sample', () => {
    expect(() => parsePrometheusText('ok 1\n\nbad{x="1"} nope\n')).toThrow(/metrics line 3: "nope"/);
    expect(() => parsePrometheusText('lonely\n')).toThrow(/metrics line 1: no value/);
    expect(() => parsePrometheusText('u{x="open} 1\n')).toThrow(
      /metrics line 1: label x: unterminated value/,
    );
  });
});
