#!/usr/bin/env node
// Runs the test suite (or the given test files) on another Node.js major, e.g.
//   npm run test:node -- 24                      the whole suite on Node 24
//   npm run test:node -- 26 packages/cli/src     only these paths
// The binary comes from the npm registry package node-<platform>-<arch>@<major>, installed once
// into node_modules/.cache/weft-node/<major>; CI keeps using the machine's Node. The build
// (tsc, the N-API addon) is the machine Node's: N-API is ABI-stable across versions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, ...paths] = process.argv.slice(2);
if (major === undefined || !/^\d+$/.test(major)) {
  console.error('usage: npm run test:node -- MAJOR [test paths...]   (e.g. 24)');
  process.exit(2);
}
const pkg = `node-${process.platform}-${process.arch}`;
const cache = join(root, 'node_modules', '.cache', 'weft-node', major);
const bin = join(cache, 'node_modules', pkg, 'bin', 'node');

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (!existsSync(bin)) {
  mkdirSync(cache, { recursive: true });
  console.error(`test:node: installing ${pkg}@${major} into ${cache}`);
  const status = run('npm', [
    'install',
    '--prefix',
    cache,
    '--no-save',
    '--no-audit',
    '--no-fund',
    `${pkg}@${major}`,
  ]);
  if (status !== 0 || !existsSync(bin)) {
    console.error(`test:node: could not install ${pkg}@${major}`);
    process.exit(1);
  }
}
const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.error(`test:node: running vitest on Node ${version} (${bin})`);
if (run('npm', ['run', 'build']) !== 0 || run('npm', ['run', 'build:native']) !== 0) process.exit(1);
// Child processes the tests start with process.execPath run on the same Node; PATH covers `node`.
const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` };
process.exit(run(bin, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...paths], { env }));
