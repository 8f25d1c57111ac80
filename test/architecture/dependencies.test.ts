// The dependency rules of .dependency-cruiser.cjs hold for the whole repository (packages/ and
// test/), and each rule catches the violation it exists for. dependency-cruiser runs as a child
// process, as a developer runs it: `npx depcruise packages test`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string, extra: string[] = []) {
  return spawnSync(
    process.execPath,
    [depcruise, '--config', config, '--output-type', 'err', ...extra, 'packages', 'test'],
    { cwd, encoding: 'utf8', timeout: 120_000 },
  );
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway repository laid out like weft's, with `files` (path -> source). */
function repository(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-depcruise-'));
  scratch.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('dependency rules', () => {
  it('hold for packages/ and test/', () => {
    const r = cruise(root);
    expect(r.stdout + r.stderr).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('catch a wrong arrow, a reach into another package, a cycle, I/O in core and a command importing a command', () => {
    const dir = repository({
      // core -> proxy: against the arrows, and by a path into the proxy's folder.
      'packages/core/src/pure.ts': "import { b } from '../../proxy/src/b.js';\nexport const a = b;\n",
      // A cycle inside one package, through a type-only import.
      'packages/proxy/src/b.ts':
        "import type { C } from './c.js';\nexport const b = 1;\nexport type B = C;\n",
      'packages/proxy/src/c.ts': "import { b } from './b.js';\nexport type C = typeof b;\n",
      // I/O in core.
      'packages/core/src/reads.ts':
        "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
      // One CLI command importing another.
      'packages/cli/src/commands/one.ts': "import { two } from './two.js';\nexport const one = two;\n",
      'packages/cli/src/commands/two.ts': 'export const two = 2;\n',
      // A cross-package test reaching into src/.
      'test/x.test.ts': "import { b } from '../packages/proxy/src/b.js';\nexport const x = b;\n",
    });
    const r = cruise(dir);
    const out = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    expect(out).toMatch(/arrows-core: packages\/core\/src\/pure\.ts → packages\/proxy\/src\/b\.ts/);
    expect(out).toMatch(/no-reaching-into-another-package: packages\/core\/src\/pure\.ts/);
    expect(out).toMatch(/no-circular: packages\/proxy\/src\/(b|c)\.ts/);
    expect(out).toMatch(/core-and-api-hold-no-io: packages\/core\/src\/reads\.ts → (node:)?fs/);
    expect(out).toMatch(/cli-commands-stand-alone: packages\/cli\/src\/commands\/one\.ts/);
    expect(out).toMatch(/tests-through-entry-points: test\/x\.test\.ts/);
  });
});
