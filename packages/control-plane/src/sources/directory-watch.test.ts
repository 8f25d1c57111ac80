import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@weft/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type DirectoryWatch, watchDirectory } from './directory-watch.js';

const dirs: string[] = [];
const watches: DirectoryWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('watchDirectory', () => {
  it('calls back after files in the folder change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-dirwatch-'));
    dirs.push(dir);
    let changes = 0;
    const changed = new Promise<void>((resolve) => {
      watches.push(
        watchDirectory({
          dir,
          clock: systemClock,
          debounceMs: 10,
          onChange: () => {
            changes++;
            resolve();
          },
          onError: (err) => {
            throw err;
          },
        }),
      );
    });
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    writeFileSync(join(dir, 'b.yaml'), 'b: 1\n');
    await changed;
    expect(changes).toBeGreaterThanOrEqual(1);
  });

  it('throws when the folder cannot be watched', () => {
    const missing = join(tmpdir(), `weft-dirwatch-missing-${process.pid}`);
    expect(() =>
      watchDirectory({ dir: missing, clock: systemClock, onChange: () => {}, onError: () => {} }),
    ).toThrow(/ENOENT/);
  });
});
