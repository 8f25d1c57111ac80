/**
 * The esbuild bundle of `weft proxy` (scripts/bundle-proxy.mjs, part of `npm run build`): what it
 * holds, and when bin/weft.js runs it instead of the compiled modules.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('..', import.meta.url));
const META = join(CLI, 'dist', 'proxy-bundle', 'meta.json');

describe('the bundle of weft proxy', () => {
  it('holds gRPC and protobuf, and none of the CA, token, Kubernetes, express or tracing SDK code', () => {
    if (!existsSync(META)) throw new Error(`${META} is missing: run npm run build (or npm run build:bundle)`);
    const meta = JSON.parse(readFileSync(META, 'utf8')) as { inputs: Record<string, unknown> };
    const packages = new Set<string>();
    for (const input of Object.keys(meta.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      if (m !== null) packages.add(m[1]!);
    }
    expect(packages).toContain('@grpc/grpc-js');
    expect(packages).toContain('protobufjs');
    const forbidden = [...packages].filter(
      (name) =>
        ['node-forge', 'jose', 'zod', '@kubernetes/client-node', 'express'].includes(name) ||
        /^@opentelemetry\/(sdk-|exporter-|resources|otlp-)/.test(name),
    );
    expect(forbidden).toEqual([]);
  });
});

describe('bin/weft.js picks the bundle for weft proxy and weft gateway', () => {
  const root = mkdtempSync(join(tmpdir(), 'weft-bundle-pick-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // A copy of the real bin in a tree of stand-in entries that say which one ran.
  const bin = join(root, 'cli', 'bin', 'weft.js');
  mkdirSync(dirname(bin), { recursive: true });
  copyFileSync(join(CLI, 'bin', 'weft.js'), bin);
  const entry = (path: string, name: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      `export async function main() { process.stdout.write(${JSON.stringify(name)}); return 0; }\n`,
    );
  };
  entry(join(root, 'cli', 'dist', 'proxy-main.js'), 'modules');
  entry(join(root, 'cli', 'dist', 'index.js'), 'program');
  const bundle = join(root, 'cli', 'dist', 'proxy-bundle', 'proxy-main.mjs');
  entry(bundle, 'bundle');
  const records = ['api', 'core', 'pki', 'runtime', 'proxy', 'cli'].map((name) =>
    join(root, name, 'dist', '.tsbuildinfo'),
  );
  for (const record of records) {
    mkdirSync(dirname(record), { recursive: true });
    writeFileSync(record, '{}');
  }
  const setTimes = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
  const run = (args: string[], env: Record<string, string> = {}) =>
    execFileSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      env: { ...process.env, WEFT_PROXY_BUNDLE: '', ...env },
    });

  it('runs the bundle when it is newer than every package compile', () => {
    for (const record of records) setTimes(record, 1_000_000);
    setTimes(bundle, 2_000_000);
    expect(run(['proxy'])).toBe('bundle');
    expect(run(['gateway'])).toBe('bundle');
    // Every other command runs the full program.
    expect(run(['version'])).toBe('program');
  });

  it('runs the compiled modules once any package compiled after the bundle was built', () => {
    setTimes(bundle, 2_000_000);
    setTimes(records[3]!, 3_000_000);
    expect(run(['proxy'])).toBe('modules');
    setTimes(records[3]!, 1_000_000);
  });

  it('obeys WEFT_PROXY_BUNDLE=0 and =1', () => {
    setTimes(bundle, 2_000_000);
    expect(run(['proxy'], { WEFT_PROXY_BUNDLE: '0' })).toBe('modules');
    setTimes(records[0]!, 3_000_000);
    expect(run(['proxy'], { WEFT_PROXY_BUNDLE: '1' })).toBe('bundle');
  });

  it('runs the compiled modules when there is no bundle', () => {
    rmSync(bundle);
    expect(run(['proxy'])).toBe('modules');
  });
});
