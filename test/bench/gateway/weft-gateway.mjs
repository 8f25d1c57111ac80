// `weft gateway` as a benchmark target: one HTTPS listener (the same ECDSA P-256 certificate as
// HAProxy and nginx) with one route to the upstream, from a GatewayConfig file (proto3 JSON) —
// no control plane: the upstream is outside the mesh, so the gateway sends requests to its
// address, as HAProxy and nginx do. Runs pinned with the sidecars' NODE_OPTIONS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeOptions } from '@weft/core';
import { startPinned, waitForPort } from '../proxy/processes.mjs';

const WEFT_BIN = fileURLToPath(new URL('../../../packages/cli/bin/weft.js', import.meta.url));

/** The GatewayConfig (proto3 JSON) of the benchmark: HTTPS on listener port 443 -> upstream. */
export function benchGatewayConfig({ originPort, cert }) {
  return {
    listeners: [
      {
        name: 'bench/gateway/https',
        port: 443,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
        hostname: '',
        certificates: [{ name: 'bench/tls', certificateChainPem: cert.chainPem, privateKeyPem: cert.keyPem }],
        routes: [
          {
            name: 'HTTPRoute/bench/origin/0',
            backends: [{ authority: `127.0.0.1:${originPort}`, weight: 1 }],
          },
        ],
      },
    ],
  };
}

/** Resolves with the `{"event":"listening",...}` line a weft child prints, within `timeoutMs`. */
function listeningLine(proc, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const finish = (err, line) => {
      clearTimeout(timer);
      proc.child.stdout.off('data', onData);
      proc.child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"event":"listening"'));
      if (line !== undefined) finish(undefined, JSON.parse(line));
    };
    const onExit = (code) => finish(new Error(`weft gateway exited (${code}): ${proc.output.trim()}`));
    const timer = setTimeout(
      () =>
        finish(
          new Error(`weft gateway did not report its ports within ${timeoutMs} ms: ${proc.output.trim()}`),
        ),
      timeoutMs,
    );
    proc.child.stdout.on('data', onData);
    proc.child.once('exit', onExit);
  });
}

/** Starts `weft gateway --config FILE --port-map 443=0` pinned to `core`. */
export async function startWeftGateway({ core, dir, originPort, cert, node = process.execPath }) {
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(benchGatewayConfig({ originPort, cert })));
  const env = {
    ...process.env,
    NODE_OPTIONS: sidecarNodeOptions(process.env.NODE_OPTIONS),
    WEFT_LOG_LEVEL: 'warn',
  };
  const args = [WEFT_BIN, 'gateway', '--config', file, '--port-map', '443=0', '--listen-host', '127.0.0.1'];
  args.push('--admin-port', '0');
  const proc = startPinned('weft-gateway', core, node, args, { env });
  const line = await listeningLine(proc, 30_000);
  const port = line.gateway?.['443'];
  if (typeof port !== 'number')
    throw new Error(`weft gateway reported no port for 443: ${JSON.stringify(line)}`);
  await waitForPort(proc, port);
  // Where the gateway ends TLS ('native': its addon; 'node': node:tls), as it says itself.
  return { port, admin: line.admin, tls: line.tls ?? 'node', procs: [proc] };
}
