/** The proxy's modules form no import cycle (type-only imports included), checked by the repository's script. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', '..', '..', 'test', 'bench', 'exchange', 'import-cycles.mjs');

function check(dir: string) {
  return spawnSync(process.execPath, [script, dir], { encoding: 'utf8', timeout: 30_000 });
}

describe('import cycles', () => {
  it('packages/proxy/src has none', () => {
    const r = check(here);
    expect(r.stdout).toMatch(/^no import cycles/);
    expect(r.status).toBe(0);
  });

  it('the script finds a cycle through a type-only import and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-cycles-'));
    try {
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'a', 'x.ts'), "import { y } from '../y.js';\nexport const x = y;\n");
      writeFileSync(
        join(dir, 'y.ts'),
        "import type { X } from './a/x.js';\nexport const y = 1;\nexport type Y = X;\n",
      );
      writeFileSync(join(dir, 'z.ts'), "import { y } from './y.js';\nexport const z = y;\n");
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stdout.trim()).toBe('cycle: a/x.ts <-> y.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
