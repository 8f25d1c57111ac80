/** `weft validate` prints file:line errors and exits 1 when anything is rejected (a real child process). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WEFT_BIN } from '../up/local-mesh.js';

const run = promisify(execFile);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-validate-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function weft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [WEFT_BIN, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  ports:\n  - {port: 80}\n';

describe('weft validate', () => {
  it('passes a good folder', async () => {
    writeFileSync(join(dir, 'svc.yaml'), SERVICE);
    const r = await weft('validate', '--config-dir', '.');
    expect(r).toMatchObject({ code: 0, stdout: '1 resources read, 0 rejected, 0 warnings\n' });
  });

  it('prints the line of the bad field and exits 1', async () => {
    writeFileSync(join(dir, 'svc.yaml'), SERVICE.replace('port: 80', 'port: 99999'));
    writeFileSync(join(dir, 'gizmo.yaml'), 'apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n');
    const r = await weft('validate', '-f', 'svc.yaml', '-f', 'gizmo.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'gizmo.yaml:2: warning: Gizmo/g: v1 Gizmo is not a kind weft reads; ignored',
      expect.stringMatching(/^svc\.yaml:6: Service\/api: spec\.ports\[0\]\.port: /),
      '1 resources read, 1 rejected, 1 warnings',
      '',
    ]);
  });

  it("accepts getting-started's local-mode example as printed", async () => {
    const doc = readFileSync(new URL('../../../../docs/getting-started.md', import.meta.url), 'utf8');
    const example = /`\.\/mesh\/([\w.-]+\.yaml)`:\n\n(?:<!--[^\n]*-->\n)?```yaml\n([\s\S]*?)```/.exec(doc);
    expect(example).not.toBeNull();
    writeFileSync(join(dir, example?.[1] as string), example?.[2] as string);
    const r = await weft('validate', '--config-dir', '.');
    expect(r.stdout).toBe('4 resources read, 0 rejected, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('asks for a folder or a file', async () => {
    const r = await weft('validate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give --config-dir DIR or -f FILE');
  });
});
