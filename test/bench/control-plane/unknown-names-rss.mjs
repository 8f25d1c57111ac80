#!/usr/bin/env node
// Control-plane memory under subscriptions to unknown names (issue 13, defect 9): ROUNDS rounds of
// STREAMS Discovery streams (in a child process) each subscribing NAMES names no service has, all
// answered does-not-exist, then closed. Prints the control plane's RSS (after GC) before and after
// each round, and its index sizes, which must be back to 0. The last line is a JSON object.
//
//   npx tsc -b && node --expose-gc test/bench/control-plane/unknown-names-rss.mjs [--streams 50 --names 2000 --rounds 3]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { loadDiscoveryProto } from '@weft/api';
import { ControlPlane } from '@weft/control-plane';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};

if (argv[0] === 'client') {
  // The simulated proxies: open streams, subscribe, wait for every answer, close.
  const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
  process.on('message', async ({ port, streams, names, round }) => {
    const client = new Discovery(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    await Promise.all(
      Array.from({ length: streams }, (_, s) => {
        return new Promise((resolve) => {
          const call = client.Stream();
          let left = names;
          call.on('data', (r) => {
            call.write({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
            for (const res of r.resources) if (res.name.startsWith('ghost-')) left--;
            if (left === 0) {
              call.end();
              call.cancel();
              resolve();
            }
          });
          call.on('error', () => resolve());
          call.write({ node: { workload: `probe-${s}` } });
          const list = Array.from({ length: names }, (_, j) => `ghost-${round}-${s}-${j}.ns${j % 7}:80`);
          call.write({ subscribe: { names: list } });
        });
      }),
    );
    client.close();
    process.send({ done: true });
  });
} else {
  const STREAMS = flag('streams', 50);
  const NAMES = flag('names', 2000);
  const ROUNDS = flag('rounds', 3);
  const rssMb = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    return Math.round(process.memoryUsage().rss / 1024 / 1024);
  };
  const cp = new ControlPlane({
    sources: [],
    credentials: ServerCredentials.createInsecure(),
    grpcAddress: '127.0.0.1:0',
    peerIdentity: () => 'spiffe://cluster.local/ns/shop/sa/web',
  });
  const { grpcPort } = await cp.start();
  const child = fork(fileURLToPath(import.meta.url), ['client'], { stdio: 'inherit' });
  const rounds = [];
  const start = rssMb();
  for (let round = 0; round < ROUNDS; round++) {
    child.send({ port: grpcPort, streams: STREAMS, names: NAMES, round });
    await new Promise((resolve) => child.once('message', resolve));
    while (cp.discovery.size > 0) await new Promise((r) => setTimeout(r, 50));
    const rss = rssMb();
    rounds.push({ rss, indexes: cp.discovery.indexSizes(), cachedServices: cp.builder.cachedServices });
    process.stderr.write(`round ${round + 1}: RSS ${rss} MB, ${JSON.stringify(rounds.at(-1))}\n`);
  }
  child.kill('SIGTERM');
  await cp.close();
  process.stdout.write(`${JSON.stringify({ streams: STREAMS, names: NAMES, startRssMb: start, rounds })}\n`);
  process.exit(0);
}
