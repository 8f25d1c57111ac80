// Many lightweight discovery clients in one process (for the spreading test): each is a proxy's
// discovery stream and nothing more — its own channel and connection, the node first, an ACK
// for every response — and it reconnects the way the proxy does: at once when a working stream
// is ended with `weft-reconnect: now`, else after a short random backoff. Prints "started" once
// every stream is opened. Config as JSON in argv[2]: {address, count, ca, key, chain} (PEM paths).
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { loadDiscoveryProto } from '@weft/api/proto';

const config = JSON.parse(process.argv[2]);
const { Discovery } = loadDiscoveryProto().weft.discovery.v1alpha1;
const creds = credentials.createSsl(
  readFileSync(config.ca),
  readFileSync(config.key),
  readFileSync(config.chain),
);

function run(i) {
  let client;
  const open = () => {
    client?.close();
    client = new Discovery(config.address, creds, { 'grpc.use_local_subchannel_pool': 1 });
    const call = client.Stream();
    let answered = false;
    let done = false;
    call.on('data', (r) => {
      answered = true;
      call.write({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
    });
    const broken = (now) => {
      if (done) return;
      done = true;
      setTimeout(open, now && answered ? 0 : 100 + Math.random() * 200);
    };
    call.on('error', (e) => broken(e.metadata?.get('weft-reconnect')[0] === 'now'));
    call.on('end', () => broken(false));
    call.write({ node: { workload: `load-${i}` } });
  };
  open();
}

for (let i = 0; i < config.count; i++) run(i);
process.stdout.write('started\n');
process.on('SIGTERM', () => process.exit(0));
