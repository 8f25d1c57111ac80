#!/usr/bin/env node
// Regenerates packages/api/src/gen from the .proto files with proto-loader-gen-types.
// Usage: node gen-proto.mjs [OUT_DIR]   (default: packages/api/src/gen)
// The loader options in src/proto.ts must match the flags here.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(pkgDir, 'src', 'gen'));
const require = createRequire(import.meta.url);
const bin = join(
  dirname(require.resolve('@grpc/proto-loader/package.json')),
  'build',
  'bin',
  'proto-loader-gen-types.js',
);

rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    bin,
    'weft/identity/v1alpha1/identity.proto',
    'weft/discovery/v1alpha1/discovery.proto',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments',
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    `--outDir=${outDir}`,
    '-I',
    join(pkgDir, 'proto'),
  ],
  { stdio: 'inherit', cwd: join(pkgDir, 'proto') },
);

// The generator writes absolute paths into comments; make them relative so the output
// does not depend on where the repository is checked out.
for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.split(`${join(pkgDir, 'proto')}/`).join('');
  if (fixed !== text) writeFileSync(file, fixed);
}
