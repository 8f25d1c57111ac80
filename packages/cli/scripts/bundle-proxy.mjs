#!/usr/bin/env node
// Bundles `weft proxy` and `weft gateway` (packages/cli/dist/proxy-main.js and everything it
// imports, dependencies included) into one ES module with esbuild: dist/proxy-bundle/proxy-main.mjs, plus a chunk per
// lazily imported part. Why: Node's ESM loader resolves, reads and compiles each of the ~330
// files a sidecar loads one by one; one file takes a third of the CPU off start-up (numbers in
// docs/proxy-transport.md, "Start-up"). bin/weft.js runs the bundle for both when it is
// newer than every package's last compile (see proxy-entry.js), so `tsc -b` alone never leaves
// a stale bundle in use.
//
// What a bundle must keep: files found relative to a module (`new URL('../proto',
// import.meta.url)`, the native addon, lazily required packages) are found relative to the
// module's own place in the tree, not the bundle's: each module's `import.meta.url` is rewritten
// to its original URL, expressed relative to the bundle so the tree can move as a whole.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CLI = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(CLI, 'dist', 'proxy-bundle');
const ENTRY = join(CLI, 'dist', 'proxy-main.js');

/** Rewrites `import.meta.url` in every bundled file to that file's URL, relative to the bundle. */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(m?js|cjs)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = relative(OUT, args.path).split('\\').join('/');
      return {
        contents: source.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
        ),
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const started = performance.now();
const result = await build({
  entryPoints: { 'proxy-main': ENTRY },
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons are loaded with createRequire at run time, from their own folders.
  external: ['*.node'],
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none.
  banner: {
    js: "import { createRequire as __weftCreateRequire } from 'node:module';\nconst require = __weftCreateRequire(import.meta.url);",
  },
  plugins: [ownUrls],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});
writeFileSync(join(OUT, 'meta.json'), JSON.stringify(result.metafile));
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `bundle-proxy: ${inputs} files → ${Object.keys(result.metafile.outputs).length} in ${relative(process.cwd(), OUT) || OUT} (${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`,
);
