// Builds the dashboard's static assets into packages/dashboard/web-dist/ (npm run build:web):
// one minified script (the page's TypeScript plus uPlot), one stylesheet, index.html.
// Prints the sizes, raw and gzipped, so the budget (300 KB gzipped) stays visible.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}web-dist/`;
await mkdir(out, { recursive: true });
await build({
  entryPoints: [`${root}web/main.ts`],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  outfile: `${out}app.js`,
  logLevel: 'warning',
  legalComments: 'eof',
});
await build({
  entryPoints: [`${root}web/app.css`],
  bundle: true,
  minify: true,
  outfile: `${out}app.css`,
  logLevel: 'warning',
});
await copyFile(`${root}web/index.html`, `${out}index.html`);
let raw = 0;
let gz = 0;
for (const f of ['index.html', 'app.js', 'app.css']) {
  const b = await readFile(`${out}${f}`);
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}
console.log(
  `dashboard assets: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (web-dist/)`,
);
