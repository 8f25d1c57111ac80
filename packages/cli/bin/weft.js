#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+: V8 keeps the compiled code of weft's modules on disk (NODE_COMPILE_CACHE, else the
// OS temp folder) and reuses it at the next start; sidecars start often. Absent on Node 20: no-op.
module.enableCompileCache?.();

// `weft proxy` (a long-running sidecar) loads only its own command; see src/proxy-main.ts.
const { main } = await import(process.argv[2] === 'proxy' ? '../dist/proxy-main.js' : '../dist/index.js');

process.exitCode = await main(process.argv);
