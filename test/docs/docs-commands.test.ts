// Issue 15 defect 7: every `weft` command shown in README.md and docs/*.md runs as shown.
// Commands that need a cluster or a running mesh are marked in the doc (docs-test: flags-only,
// with a reason) and checked against their --help; `weft up --config-dir DIR` is checked by
// serving DIR with the control plane `weft up` starts, which must accept every resource in it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commandPathOf, type DocCommand, type DocStep, docSteps, flagsOf } from './doc-commands.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEFT = join(ROOT, 'packages/cli/bin/weft.js');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const ENV = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', NO_COLOR: '1', WEFT_LOG_LEVEL: 'warn' };
const scratch = mkdtempSync(join(tmpdir(), 'weft-docs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const where = (c: DocCommand) => `${c.file}:${c.line}: ${c.argv.join(' ')}`;

function weft(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [WEFT, ...args], { cwd, env: ENV, encoding: 'utf8', timeout: 60_000 });
}

/** `weft up --config-dir DIR`: the control plane weft up starts must accept every resource in DIR. */
async function serveFolder(command: DocCommand, cwd: string): Promise<void> {
  const i = command.argv.indexOf('--config-dir');
  expect(i, `${where(command)}: only weft up --config-dir DIR can be run by the docs test`).toBeGreaterThan(
    0,
  );
  const identity = join(cwd, '.docs-test-identity');
  expect(weft(['identity', 'create-ca', '--identity-dir', identity, '--force'], cwd).status).toBe(0);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      WEFT,
      'control-plane',
      '--config-dir',
      resolve(cwd, command.argv[i + 1] as string),
      '--identity-dir',
      identity,
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
    ],
    { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const exited = once(child, 'exit').then(() => undefined);
    const listening = new Promise<{ admin: number }>((ok) => {
      lines.on('line', (line) => {
        if (line.includes('"listening"')) ok(JSON.parse(line) as { admin: number });
      });
    });
    const first = await Promise.race([listening, exited]);
    expect(first, `${where(command)}: the control plane did not start:\n${stderr}`).toBeDefined();
    // The admin server answers after every source's first sync (control-plane.start order).
    const state = (await (
      await fetch(`http://127.0.0.1:${(first as { admin: number }).admin}/debug/state`)
    ).json()) as {
      conditions: Array<{ resource: string; status: string; reason?: string; message?: string }>;
      services: unknown[];
    };
    const rejected = state.conditions.filter((c) => c.status !== 'accepted');
    expect(rejected, `${where(command)}: resources rejected`).toEqual([]);
    expect(state.conditions.length, `${where(command)}: the folder holds no resource`).toBeGreaterThan(0);
  } finally {
    child.kill('SIGTERM');
  }
}

function flagsOnly(
  command: DocCommand & { mode: { type: 'flags-only'; reason: string } },
  cwd: string,
): void {
  expect(command.mode.reason.length, `${where(command)}: a flags-only marker needs a reason`).toBeGreaterThan(
    10,
  );
  const help = weft([...commandPathOf(command.argv), '--help'], cwd);
  expect(help.status, `${where(command)}: --help failed: ${help.stderr}`).toBe(0);
  const path = commandPathOf(command.argv).filter((w) => !/^\d|\./.test(w));
  expect(help.stdout, `${where(command)}: not a weft command`).toContain(
    `Usage: weft ${path.join(' ')}`.trim(),
  );
  for (const flag of flagsOf(command.argv)) {
    expect(help.stdout, `${where(command)}: ${flag} is not a flag of this command`).toMatch(
      new RegExp(`(^|[\\s,])${flag}([\\s,]|$)`, 'm'),
    );
  }
}

async function runStep(step: DocStep, cwd: string): Promise<void> {
  if (step.type === 'file') {
    mkdirSync(dirname(join(cwd, step.path)), { recursive: true });
    writeFileSync(join(cwd, step.path), step.content);
    return;
  }
  if (step.mode.type === 'flags-only') return flagsOnly(step as Parameters<typeof flagsOnly>[0], cwd);
  if (step.argv[1] === 'up' && !step.argv.includes('--help')) return serveFolder(step, cwd);
  const r = weft(step.argv.slice(1), cwd);
  expect(r.status, `${where(step)} exited ${r.status}:\n${r.stderr}`).toBe(0);
}

describe('the commands in the docs', () => {
  const all = DOCS.map((file) => ({ file, steps: docSteps(file, readFileSync(join(ROOT, file), 'utf8')) }));

  it('are found (the extraction itself works)', () => {
    const commands = all.flatMap((d) => d.steps).filter((s) => s.type === 'command');
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.some((c) => c.mode.type === 'run')).toBe(true);
  });

  for (const { file, steps } of all) {
    if (!steps.some((s) => s.type === 'command')) continue;
    it(`${file} runs as shown`, { timeout: 180_000 }, async () => {
      const cwd = mkdtempSync(join(scratch, `${file.replace(/\W/g, '_')}-`));
      for (const step of steps) await runStep(step, cwd);
    });
  }
});
