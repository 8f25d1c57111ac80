// Benchmarks, fuzz targets and build scripts run compiled modules by path
// (`packages/<name>/dist/…`), which dependency-cruiser does not follow (dist is not scanned) and a
// stale dist/ from an older build hides locally. Every such path must name a module that exists
// in src/ today, so a moved or deleted module breaks this test, not the next benchmark run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DIRS = [
  'test',
  'scripts',
  ...readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'scripts')),
];
const DIST = /packages\/([a-z-]+)\/dist\/([A-Za-z0-9_/.-]+)\.js/g;

function* files(dir: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'artifacts') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(mjs|js|ts)$/.test(name)) yield path;
  }
}

it('names only modules that exist in src/ wherever a script imports packages/*/dist by path', () => {
  const missing: string[] = [];
  let seen = 0;
  for (const dir of DIRS) {
    for (const file of files(join(root, dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(DIST)) {
        seen++;
        const src = join(root, 'packages', m[1] as string, 'src', `${m[2]}.ts`);
        try {
          statSync(src);
        } catch {
          missing.push(`${relative(root, file)}: ${m[0]} (no ${relative(root, src)})`);
        }
      }
    }
  }
  expect(missing).toEqual([]);
  expect(seen).toBeGreaterThan(0);
});
