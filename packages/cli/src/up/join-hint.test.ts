/**
 * The join hint `weft up` prints works as printed: two workloads join a running `weft up` with
 * the hint's commands (placeholders filled in, nothing added), both start side by side (every
 * port 0), and one calls the other through the mesh. Real processes, sockets and mTLS.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from './demo-apps.js';
import { WEFT_BIN } from './local-mesh.js';

let dir: string;
let app: Server;
const started: ChildProcess[] = [];

/** Spawns `weft args` in `dir` and resolves with the child and a reader of its stdout lines. */
function weft(args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  child.stderr?.resume();
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function readUntil(lines: AsyncIterator<string>, done: (line: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new Error(`output ended before the expected line; got:\n${out.join('\n')}`);
    out.push(next.value);
    if (done(next.value)) return out;
  }
}

/** Splits the hint's commands (joined continuation lines) into words; the hint uses no quoting. */
function commandsOf(hint: string[]): string[][] {
  const text = hint
    .filter((l) => l.startsWith('  '))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'weft');
}

function fill(words: string[], values: Record<string, string>): string[] {
  return words.map((w) => Object.entries(values).reduce((s, [k, v]) => s.replaceAll(k, v), w));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-join-'));
  app = createServer((_req, res) => res.end('hello from echo'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const c of started.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((resolve) => c.once('exit', resolve));
    }
  }
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the join hint of weft up', () => {
  it('joins two workloads that call each other, as printed', async () => {
    writeFileSync(join(dir, 'readme.yaml'), '# an empty config folder\n');
    const up = weft(['up', '--config-dir', '.', '--state-dir', '.weft']);
    const hint = await readUntil(up.lines, (l) => l.startsWith('Ctrl-C'));
    const [token, proxy, ...rest] = commandsOf(hint);
    expect(rest).toEqual([]);
    expect(token?.at(-2)).toBe('>');
    expect(proxy).not.toContain('--service-account');

    const appPort = String((app.address() as AddressInfo).port);
    const ports: Record<string, number>[] = [];
    for (const [service, sa, upstream] of [
      ['echo', 'echo-sa', 'nobody'],
      ['client', 'client-sa', 'echo'],
    ] as const) {
      const values = { NS: 'shop', SA: sa, NAME: service, APP_PORT: appPort, other: upstream };
      const create = fill(token!.slice(1, -2), values);
      const { stdout } = await promisify(execFile)(process.execPath, [WEFT_BIN, ...create], { cwd: dir });
      writeFileSync(join(dir, 'sa.token'), stdout);
      const p = weft(fill(proxy!.slice(1), values));
      const [listening] = await readUntil(p.lines, (l) => l.includes('"listening"')).then((l) => l.slice(-1));
      ports.push(JSON.parse(listening as string) as Record<string, number>);
    }
    const upstreams = ports[1]?.upstreams as unknown as Record<string, number>;
    const port = upstreams['echo.shop:80'] as number;
    // The client's proxy learns of echo's registration over discovery; the first request may
    // arrive before it, so ask until it answers (bounded by the test timeout).
    await expect
      .poll(async () => (await get('127.0.0.1', port, '/').catch(() => ({ body: '' }))).body, {
        timeout: 20_000,
        interval: 200,
      })
      .toBe('hello from echo');
  }, 120_000);
});
