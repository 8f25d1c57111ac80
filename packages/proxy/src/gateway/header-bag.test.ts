import { describe, expect, it } from 'vitest';
import { applyHeaderModifier, flatHeaderBag, objectHeaderBag } from './header-bag.js';

describe('flatHeaderBag (HTTP/1)', () => {
  it('reads names case-insensitively and joins repeated values', () => {
    const list = ['Accept', 'a', 'X-Tag', 'one', 'x-tag', 'two'];
    const bag = flatHeaderBag(list);
    expect(bag.get('x-tag')).toBe('one, two');
    expect(bag.get('accept')).toBe('a');
    expect(bag.get('missing')).toBeUndefined();
  });

  it('edits the list in place, keeping the case a name was given in', () => {
    const list = [
      'Host',
      'a',
      'X-Tag',
      'one',
      'x-tag',
      'two',
      'X-Weft-Attempt',
      '2',
      'x-weft-identity',
      'spoof',
    ];
    const bag = flatHeaderBag(list);
    bag.set('x-tag', 'three');
    bag.add('X-Added', 'v');
    bag.removePrefix('x-weft-');
    expect(list).toEqual(['Host', 'a', 'x-tag', 'three', 'X-Added', 'v']);
    // Names added through the bag are found again, whatever their case.
    expect(bag.get('x-added')).toBe('v');
    bag.remove('x-added');
    bag.remove('host');
    expect(list).toEqual(['x-tag', 'three']);
  });

  it('applies a Gateway API modifier in order: set, add, remove', () => {
    const list = ['X-Env', 'prod', 'X-Debug', '1'];
    applyHeaderModifier(flatHeaderBag(list), {
      set: [['x-env', 'canary']],
      add: [['x-env', 'two']],
      remove: ['x-debug'],
    });
    expect(list).toEqual(['x-env', 'canary', 'x-env', 'two']);
  });
});

describe('objectHeaderBag (HTTP/2)', () => {
  it('edits node:http2 headers, repeated values as arrays', () => {
    const headers: Record<string, string | string[]> = { 'x-tag': 'one', 'x-weft-attempt': '2', accept: 'a' };
    const bag = objectHeaderBag(headers);
    bag.add('x-tag', 'two');
    expect(bag.get('x-tag')).toBe('one, two');
    bag.removePrefix('x-weft-');
    bag.set('accept', 'b');
    expect(headers).toEqual({ 'x-tag': ['one', 'two'], accept: 'b' });
  });
});
