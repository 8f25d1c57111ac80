import { describe, expect, it } from 'vitest';
import { appendOps, escapePointerToken, pointer, prependOps, setMapOps } from './json-patch.js';

describe('JSON Pointer and patch helpers', () => {
  it('escapes ~ before / (RFC 6901)', () => {
    expect(escapePointerToken('a/b~c')).toBe('a~1b~0c');
    expect(escapePointerToken('~1')).toBe('~01');
    expect(pointer('metadata', 'annotations', 'weft.dev/inject')).toBe(
      '/metadata/annotations/weft.dev~1inject',
    );
  });

  it('adds a whole array or map when absent and single entries when present', () => {
    expect(prependOps(['spec', 'initContainers'], ['a', 'b'], false)).toEqual([
      { op: 'add', path: '/spec/initContainers', value: ['a', 'b'] },
    ]);
    expect(prependOps(['spec', 'initContainers'], ['a', 'b'], true).map((o) => o.path)).toEqual([
      '/spec/initContainers/0',
      '/spec/initContainers/1',
    ]);
    expect(appendOps(['spec', 'volumes'], ['v'], true)).toEqual([
      { op: 'add', path: '/spec/volumes/-', value: 'v' },
    ]);
    expect(setMapOps(['metadata', 'annotations'], { 'x/y': '1' }, true)).toEqual([
      { op: 'add', path: '/metadata/annotations/x~1y', value: '1' },
    ]);
    expect(setMapOps(['metadata', 'annotations'], {}, false)).toEqual([]);
  });
});
