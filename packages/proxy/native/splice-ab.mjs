// A/B of the opaque TCP relay: iperf3 through one outbound-only sidecar (explicit upstream to
// an `iperf3 -s` outside the mesh, its port declared opaque), the JS copy against splice(2),
// interleaved. Needs `npm run build` and `npm run build:native`, and iperf3 on the PATH.
// Usage: node packages/proxy/native/splice-ab.mjs [seconds=3] [runs per side=3] [pipe bytes]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { noControlPlane } from '../dist/discovery/no-control-plane.js';
import { loadSplice, setSpliceDisabled } from '../dist/net/splice.js';
import { defaultProxyOptions } from '../dist/options.js';
import { Sidecar } from '../dist/proxy.js';
import { relaysStarted, setSplicePipeBytes } from '../dist/tcp/splice-relay.js';
import { StaticCertificateSource } from '../dist/tls/certificate-source.js';

const seconds = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 3);
if (process.argv[4] !== undefined) setSplicePipeBytes(Number(process.argv[4]));
if (loadSplice() === undefined) throw new Error('the addon is not built: npm run build:native');

async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const iperfPort = await freePort();
const server = spawn('iperf3', ['-s', '-B', '127.0.0.1', '-p', String(iperfPort)], { stdio: 'ignore' });
const authority = `127.0.0.1:${iperfPort}`;
const proxy = new Sidecar(
  defaultProxyOptions({
    namespace: 'bench',
    service: 'ab',
    listenHost: '127.0.0.1',
    adminHost: '127.0.0.1',
    inboundPort: 0,
    outboundPort: 0,
    adminPort: 0,
    upstreams: [{ authority, host: '127.0.0.1', port: 0 }],
    opaquePorts: new Set([iperfPort]),
  }),
  { certificates: new StaticCertificateSource(), resolver: noControlPlane, policies: noControlPlane },
);
const ports = await proxy.start();
const port = ports.upstreams[authority];

/** One iperf3 run; the client runs asynchronously so this process keeps relaying. */
async function iperf(target) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = spawn('iperf3', ['-c', '127.0.0.1', '-p', String(target), '-t', String(seconds), '-J', '-Z']);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    await once(c, 'exit');
    const json = JSON.parse(out);
    if (!json.error)
      return { gbps: json.end.sum_received.bits_per_second / 1e9, bytes: json.end.sum_received.bytes };
    if (!/busy/.test(json.error)) throw new Error(json.error);
  }
  throw new Error('iperf3 server stayed busy');
}

const results = { copy: [], splice: [], direct: [] };
results.direct.push(await iperf(iperfPort));
for (let i = 0; i < runs; i++) {
  for (const mode of ['copy', 'splice']) {
    setSpliceDisabled(mode === 'copy');
    const cpu = process.cpuUsage();
    const run = await iperf(port);
    const used = process.cpuUsage(cpu);
    // This process's CPU (user + system) per GiB relayed: the proxy's cost, less load-sensitive.
    run.cpuMsPerGiB = (used.user + used.system) / 1000 / (run.bytes / 2 ** 30);
    results[mode].push(run);
  }
}
const out = [];
const fmt = (xs) => xs.map((x) => x.gbps.toFixed(2)).join(', ');
const best = (xs) => Math.max(...xs.map((x) => x.gbps)).toFixed(2);
const cpu = (xs) => xs.map((x) => x.cpuMsPerGiB.toFixed(0)).join(', ');
out.push(`iperf3 -t ${seconds} -Z, one stream, Gbit/s received`);
out.push(`direct (no proxy): ${fmt(results.direct)}`);
for (const mode of ['copy', 'splice']) {
  const r = results[mode];
  out.push(`weft outbound-only, ${mode}: ${fmt(r)} (best ${best(r)}); proxy CPU ms per GiB: ${cpu(r)}`);
}
out.push(`relays started: ${JSON.stringify(relaysStarted())}`);
process.stdout.write(`${out.join('\n')}\n`);
await proxy.close();
server.kill();
