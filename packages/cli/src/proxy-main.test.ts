/**
 * What `weft proxy` and `weft gateway` load: a sidecar's resident memory is mostly the code it loads, so the
 * OpenTelemetry SDK and exporters, gRPC, protobuf and the PKI must stay unloaded unless the
 * flags need them. Spawns the real binary (built dist) with a preload that lists the
 * CommonJS modules in the process when it exits.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/weft.js', import.meta.url));
let dir: string;
let preload: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-proxy-main-'));
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
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `weft proxy` in local mode, every port picked by the kernel. */
function proxyArgs(extra: string[]): string[] {
  return [
    'proxy',
    '--namespace',
    'test',
    '--service',
    'footprint',
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
    '127.0.0.1:9=127.0.0.1:0',
    ...extra,
  ];
}

/** Starts `weft ARGS` (a command that prints its ports on one line), stops it, returns its packages. */
async function loadedPackages(args: string[]): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['--require', preload, bin, ...args],
    // The compiled modules: the footprint is a property of the import graph (the bundle's
    // contents are checked in proxy-bundle.test.ts).
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WEFT_LOG_LEVEL: 'warn', WEFT_PROXY_BUNDLE: '0' },
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const closed = once(child, 'close'); // after stderr is fully read
  const admin = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { admin: number }).admin);
    });
    child.once('exit', (code) => reject(new Error(`weft ${args[0]} exited with ${code}: ${err}`)));
  });
  // The signal handlers are installed in the same tick as the listening line is printed, so
  // once the admin server answers they are in place.
  expect((await fetch(`http://127.0.0.1:${admin}/live`)).status).toBe(200);
  child.kill('SIGTERM');
  await closed;
  const line = err.split('\n').find((l) => l.startsWith('LOADED '));
  if (line === undefined) throw new Error(`no module list on stderr: ${err}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

const HEAVY = [
  '@opentelemetry/core',
  '@opentelemetry/propagator-b3',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-grpc',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@opentelemetry/otlp-transformer',
  '@grpc/grpc-js',
  'protobufjs',
  'node-forge',
];

describe('weft proxy startup footprint', () => {
  it('loads no tracing SDK, propagator, exporter, gRPC, protobuf or PKI without tracing and control plane', async () => {
    const loaded = await loadedPackages(proxyArgs([]));
    expect(loaded).toContain('pino');
    expect(loaded.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('loads the SDK and only the configured exporter when tracing is on', async () => {
    const loaded = await loadedPackages(
      proxyArgs(['--otlp', 'http://127.0.0.1:1', '--otlp-protocol', 'http/protobuf']),
    );
    expect(loaded).toContain('@opentelemetry/sdk-trace');
    expect(loaded).toContain('@opentelemetry/propagator-b3');
    expect(loaded).toContain('@opentelemetry/exporter-trace-otlp-proto');
    expect(loaded).not.toContain('@opentelemetry/exporter-trace-otlp-grpc');
  });
});

/** Packages only the rest of the program loads (the Kubernetes client's, the CLI's tables, the PKI). */
const PROGRAM_ONLY = [
  'yaml',
  'cli-table3',
  'fast-json-patch',
  'prom-client',
  'node-forge',
  'hpagent',
  'tar-fs',
];

describe('weft gateway startup footprint', () => {
  it('loads the data-plane entry, not the whole program', async () => {
    const config = join(dir, 'gateway.json');
    // No listener: the footprint is of the command, not of a config.
    writeFileSync(config, JSON.stringify({ listeners: [] }));
    const loaded = await loadedPackages([
      'gateway',
      '--config',
      config,
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
      '--admin-port',
      '0',
    ]);
    expect(loaded).toContain('pino');
    expect(loaded.filter((name) => PROGRAM_ONLY.includes(name))).toEqual([]);
  });
});
