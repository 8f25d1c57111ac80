/**
 * `weft up --config-dir` as a user meets it: rejected resources print as `file:line: Kind/name:
 * reason` (the bad field's line), an unknown kind warns, the addresses land in .weft/local.json
 * where `weft check` (failing while anything is rejected) and `weft stat` find them, and
 * `weft check` with no mesh at all says what it looked for. Real processes and sockets.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectedFromDebugState } from '../check/rejected.js';
import { WEFT_BIN } from './local-mesh.js';

let dir: string;
let up: ChildProcess | undefined;
const stderrLines: string[] = [];
let lineWaiters: Array<() => void> = [];

/** A clean environment: no kubeconfig anywhere, HOME inside the test folder. */
const env = () => {
  const e = { ...process.env, HOME: dir };
  delete e.KUBECONFIG;
  delete e.KUBERNETES_SERVICE_HOST;
  delete e.WEFT_CONTROL_PLANE_ADMIN;
  return e;
};

function weft(args: string[], cwd = dir): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WEFT_BIN, ...args], { cwd, env: env() }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

/** Resolves once weft up has printed a stderr line matching `re`. */
async function stderrLine(re: RegExp): Promise<string> {
  for (;;) {
    const found = stderrLines.find((l) => re.test(l));
    if (found !== undefined) return found;
    if (up?.exitCode !== null) throw new Error(`weft up exited:\n${stderrLines.join('\n')}`);
    await new Promise<void>((resolve) => lineWaiters.push(resolve));
  }
}

const SPLIT = `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata:
  name: api
spec:
  service: api
  backends:
  - service: api-v1
    weight: 90
  - service: api-v2
    weight: -10
`;
const service = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  ports:\n  - {port: 80}\n---\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-up-local-'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'services.yaml'), service('api') + service('api-v1') + service('api-v2'));
  writeFileSync(join(dir, 'config', 'split.yaml'), SPLIT);
  writeFileSync(
    join(dir, 'config', 'gizmo.yaml'),
    'apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n',
  );
});

afterAll(async () => {
  if (up !== undefined && up.exitCode === null) {
    up.kill('SIGTERM');
    await new Promise((resolve) => up?.once('exit', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('weft up --config-dir', () => {
  it('says which meshes weft check looked for when there is none', async () => {
    const r = await weft(['check', '--timeout', '60s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no mesh found');
    expect(r.stderr).toContain('.weft/local.json does not exist');
    expect(r.stderr).toContain('weft up --config-dir DIR');
    expect(r.stderr).toContain('KUBECONFIG is not set');
    expect(r.stderr).toContain('weft install | kubectl apply -f -');
    expect(r.stderr).not.toContain('HTTP protocol is not allowed');
  });

  it('prints rejected resources at the bad field, records its addresses, and weft check fails', async () => {
    up = spawn(process.execPath, [WEFT_BIN, 'up', '--config-dir', 'config'], {
      cwd: dir,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout?.resume();
    createInterface({ input: up.stderr! }).on('line', (line) => {
      stderrLines.push(line);
      const waiting = lineWaiters;
      lineWaiters = [];
      for (const w of waiting) w();
    });
    up.once('exit', () => {
      for (const w of lineWaiters) w();
    });
    expect(await stderrLine(/split\.yaml/)).toBe(
      'config/split.yaml:11: TrafficSplit/api: spec.backends[1].weight: weight must be a non-negative number, got -10',
    );
    expect(await stderrLine(/gizmo\.yaml/)).toBe(
      'config/gizmo.yaml:2: warning: Gizmo/g: example.com/v1 Gizmo is not a kind weft reads; ignored',
    );
    // Written before the hint is printed, so it exists once the hint did.
    await stderrLine(/starting the control plane/);
    await expect.poll(() => existsSync(join(dir, '.weft', 'local.json')), { timeout: 30_000 }).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, '.weft', 'local.json'), 'utf8'));
    expect(state.controlPlane.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // Generous per-check timeouts: the test asserts outcomes, not speed, on a busy machine.
    const check = await weft(['check', '--timeout', '60s']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('no resources are rejected');
    expect(check.stdout).toContain('config/split.yaml:11: TrafficSplit/api: spec.backends[1].weight');

    const stat = await weft(['stat', '--window', '0', '-o', 'json']);
    expect(stat).toMatchObject({ code: 0 });
    expect(JSON.parse(stat.stdout).services).toEqual([]);

    // Fixed by replace-with-rename: the control plane reloads and weft check passes.
    writeFileSync(join(dir, 'config', '.split.tmp'), SPLIT.replace('-10', '10'));
    renameSync(join(dir, 'config', '.split.tmp'), join(dir, 'config', 'split.yaml'));
    await expect
      .poll(
        async () => {
          const res = await fetch(`${state.controlPlane.admin}/debug/state`);
          return rejectedFromDebugState(await res.json()).errors;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toEqual([]);
    const again = await weft(['check', '--timeout', '60s']);
    expect(again.stdout).toContain('no resources are rejected');
    expect(again.code).toBe(0);

    up.kill('SIGTERM');
    await new Promise((resolve) => up?.once('exit', resolve));
    expect(existsSync(join(dir, '.weft', 'local.json'))).toBe(false);
  }, 120_000);
});
