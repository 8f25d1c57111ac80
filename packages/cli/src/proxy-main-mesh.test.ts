/**
 * What a mesh sidecar (`weft proxy` with a control plane, Certify and discovery) loads, and when
 * it says it is ready. Spawns the real binaries (built dist): `weft control-plane` over an empty
 * manifests folder on loopback, and `weft proxy` with a join token, with a preload that lists
 * the packages in the process when it exits.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/weft.js', import.meta.url));
let dir: string;
let preload: string;
let controlPlane: ChildProcess | undefined;
let grpcPort: number;

/** The first JSON line on `child`'s stdout whose `event` is `event` (rejects if it exits first). */
function eventLine<T>(child: ChildProcess, event: string, stderr: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as { event?: string };
        if (parsed.event === event) resolve(parsed as T);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${event}": ${stderr()}`)));
  });
}

function weftSync(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`weft ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-proxy-mesh-'));
  preload = join(dir, 'list-modules.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
    if (m) names.add(m[1]);
  }
  require('node:fs').writeSync(2, 'LOADED ' + JSON.stringify([...names]) + '\\n');
});
`,
  );
  mkdirSync(join(dir, 'config'));
  weftSync(['identity', 'create-ca', '--identity-dir', join(dir, 'identity')]);
  const token = weftSync([
    'token',
    'create',
    '--identity-dir',
    join(dir, 'identity'),
    '--namespace',
    'test',
    '--service-account',
    'footprint',
    '--service',
    'footprint',
  ]);
  writeFileSync(join(dir, 'good.token'), token.trim(), { mode: 0o600 });
  writeFileSync(join(dir, 'bad.token'), 'not-a-join-token', { mode: 0o600 });
  let err = '';
  controlPlane = spawn(
    process.execPath,
    [
      bin,
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
  );
  controlPlane.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  grpcPort = (await eventLine<{ grpc: number }>(controlPlane, 'listening', () => err)).grpc;
}, 60_000);

afterAll(async () => {
  if (controlPlane !== undefined && controlPlane.exitCode === null) {
    const closed = once(controlPlane, 'close');
    controlPlane.kill('SIGTERM');
    await closed;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface ReadyLine {
  ms: number;
  timeline: Record<string, number>;
}

/**
 * Starts a mesh sidecar with `token`, runs `during` once it listens, stops it, returns its
 * packages (those loaded through require; a bundle holds the rest). `entry` picks the compiled
 * modules (0) or the esbuild bundle of `weft proxy` (1, built by `npm run build`).
 */
async function meshSidecar(
  token: string,
  during: (admin: number, child: ChildProcess, stderr: () => string) => Promise<void>,
  entry: '0' | '1' = '0',
): Promise<string[]> {
  let err = '';
  const child = spawn(
    process.execPath,
    [
      '--require',
      preload,
      bin,
      'proxy',
      '--namespace',
      'test',
      '--service',
      'footprint',
      '--token-file',
      join(dir, token),
      '--control-plane',
      `127.0.0.1:${grpcPort}`,
      '--ca-file',
      join(dir, 'identity', 'ca.crt'),
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
      '--inbound-port',
      '0',
      '--outbound-port',
      '0',
      '--admin-port',
      '0',
      '--upstream',
      'origin.test.svc.cluster.local:80=127.0.0.1:0',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WEFT_LOG_LEVEL: 'warn', WEFT_PROXY_BUNDLE: entry },
    },
  );
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const closed = once(child, 'close');
  const ready = eventLine<ReadyLine>(child, 'ready', () => err);
  ready.catch(() => {});
  const { admin } = await eventLine<{ admin: number }>(child, 'listening', () => err);
  (child as ChildProcess & { readyLine?: Promise<ReadyLine> }).readyLine = ready;
  try {
    await during(admin, child, () => err);
  } finally {
    // Also when `during` failed: never leave a sidecar behind.
    child.kill('SIGTERM');
    await closed;
  }
  const line = err.split('\n').find((l) => l.startsWith('LOADED '));
  if (line === undefined) throw new Error(`no module list on stderr: ${err}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

// What the control-plane link may load, and what it must not: the CA's ASN.1 library and the
// join tokens' JWT library stay in the control plane; no tracing SDK without --otlp.
const NOT_IN_A_MESH_SIDECAR = [
  'node-forge',
  'jose',
  'zod',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-grpc',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@kubernetes/client-node',
  'express',
];

describe('weft proxy with a control plane', () => {
  it.each([
    ['the compiled modules', '0'],
    ['the bundle', '1'],
  ] as const)(
    'gets ready from %s (certificate, then first push), with no forge, jose or SDK loaded',
    async (_, entry) => {
      const loaded = await meshSidecar(
        'good.token',
        async (admin, child) => {
          const ready = await (child as ChildProcess & { readyLine: Promise<ReadyLine> }).readyLine;
          const t = ready.timeline;
          // Every step, and ready only once listening, the certificate and the config are all in.
          // (Certify runs while the listeners bind: those two may come in either order.)
          expect(Object.keys(t).sort()).toEqual(
            ['certificate', 'config', 'link-loaded', 'listening', 'ready', 'run'].sort(),
          );
          expect(t.run).toBeLessThanOrEqual(t['link-loaded']!);
          expect(t['link-loaded']).toBeLessThanOrEqual(t.certificate!);
          // Discovery authenticates with the certificate and announces the bound ports.
          expect(t.certificate).toBeLessThanOrEqual(t.config!);
          expect(t.listening).toBeLessThanOrEqual(t.config!);
          expect(t.ready).toBeGreaterThanOrEqual(t.config!);
          expect(ready.ms).toBe(t.ready);
          expect((await fetch(`http://127.0.0.1:${admin}/ready`)).status).toBe(200);
        },
        entry,
      );
      // In the bundle, gRPC and protobuf are inside it (proxy-bundle.test.ts checks what it holds).
      if (entry === '0') {
        expect(loaded).toContain('@grpc/grpc-js');
        expect(loaded).toContain('protobufjs');
      } else {
        expect(loaded).not.toContain('@grpc/grpc-js');
      }
      expect(loaded.filter((name) => NOT_IN_A_MESH_SIDECAR.includes(name))).toEqual([]);
    },
    60_000,
  );

  it('is not ready, and prints no ready line, while Certify refuses its token', async () => {
    await meshSidecar('bad.token', async (admin, child) => {
      let readyLine = false;
      void (child as ChildProcess & { readyLine: Promise<ReadyLine> }).readyLine.then(
        () => {
          readyLine = true;
        },
        () => {},
      );
      // The refusal has been answered (and logged) once this line is on stderr.
      await new Promise<void>((resolve) => {
        let err = '';
        child.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('certificate renewal failed')) resolve();
        });
      });
      const res = await fetch(`http://127.0.0.1:${admin}/ready`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/no workload certificate/);
      expect(readyLine).toBe(false);
    });
  }, 60_000);
});
