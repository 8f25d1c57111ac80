#!/usr/bin/env node
// `weft proxy` (a long-running sidecar) loads only its own command; see src/proxy-main.ts.
const { main } = await import(process.argv[2] === 'proxy' ? '../dist/proxy-main.js' : '../dist/index.js');

process.exitCode = await main(process.argv);
