#!/usr/bin/env node
import { statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+: V8 keeps the compiled code of weft's modules on disk (NODE_COMPILE_CACHE, else the
// OS temp folder) and reuses it at the next start; sidecars start often. Absent on Node 20: no-op.
module.enableCompileCache?.();

/** The packages `weft proxy` and `weft gateway` are built from: the bundle is stale once any compiled again. */
const PROXY_PACKAGES = ['api', 'core', 'pki', 'runtime', 'proxy', 'cli'];
const BUNDLE = new URL('../dist/proxy-bundle/proxy-main.mjs', import.meta.url);

/**
 * `weft proxy` and `weft gateway` run the esbuild bundle of their entry (npm run build;
 * scripts/bundle-proxy.mjs) when there is one newer than every package's last `tsc -b`: one
 * file loads in a third less CPU than ~340 modules (docs/proxy-transport.md, "Start-up").
 * WEFT_PROXY_BUNDLE=0 forces the compiled modules, =1 the bundle.
 */
function proxyEntry() {
  const forced = process.env.WEFT_PROXY_BUNDLE;
  if (forced === '0') return '../dist/proxy-main.js';
  if (forced === '1') return BUNDLE.href;
  let built;
  try {
    built = statSync(BUNDLE).mtimeMs;
  } catch {
    return '../dist/proxy-main.js';
  }
  for (const name of PROXY_PACKAGES) {
    try {
      if (statSync(new URL(`../../${name}/dist/.tsbuildinfo`, import.meta.url)).mtimeMs > built)
        return '../dist/proxy-main.js';
    } catch {
      // No build record (an image that ships dist alone): the bundle is what was built.
    }
  }
  return BUNDLE.href;
}

// `weft proxy` and `weft gateway` (long-running data-plane processes) load only their own
// commands; see src/proxy-main.ts.
const dataPlane = process.argv[2] === 'proxy' || process.argv[2] === 'gateway';
const { main } = await import(dataPlane ? proxyEntry() : '../dist/index.js');

process.exitCode = await main(process.argv);
