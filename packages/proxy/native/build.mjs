// Builds weft's native addons with node-gyp (npm 11 runs no install scripts, so
// `npm run build:native` calls this explicitly). Uses the running Node's installed
// headers when present (<prefix>/include/node), so the build works offline.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addons = ['original-dst', 'tls-front'];

if (process.platform !== 'linux') {
  process.stderr.write(
    `build:native: skipped (SO_ORIGINAL_DST and splice(2) are Linux-only; platform ${process.platform})\n`,
  );
  process.exit(0);
}

const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  process.stderr.write('build:native: node-gyp is not installed; run `npm ci` at the repository root\n');
  process.exit(1);
}

const prefix = resolve(dirname(process.execPath), '..');
const args = [gyp, 'rebuild', '--release'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

for (const addon of addons) {
  const cwd = join(here, addon);
  const result = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`build:native: ${addon} failed (node-gyp exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
  process.stderr.write(`build:native: built ${join(cwd, 'build', 'Release')}\n`);
}
