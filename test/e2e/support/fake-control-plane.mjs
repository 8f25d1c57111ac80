// A minimal discovery server for the two-pod test: answers each subscription from a fixed table
// (anything else "does not exist") and pushes an inbound policy to each proxy after its node
// message. TLS with the test CA; prints "ready" when serving. Reads its config as JSON in argv[2]:
// {listen, cert, key, ca, destinations: {name: Destination}, policies: {service: InboundPolicy}}.
import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadDiscoveryProto } from '@weft/api';

const config = JSON.parse(process.argv[2]);
const proto = loadDiscoveryProto();
let nonce = 0;

function respond(call, resources) {
  nonce += 1;
  call.write({ versionInfo: String(nonce), nonce: `n${nonce}`, resources, removedNames: [] });
}

const server = new Server();
server.addService(proto.weft.discovery.v1alpha1.Discovery.service, {
  Stream(call) {
    call.on('data', (request) => {
      if (request.node) {
        const policy = config.policies[request.node.service];
        if (policy) respond(call, [{ name: 'inbound-policy', version: '1', inboundPolicy: policy }]);
        else respond(call, []);
      } else if (request.subscribe) {
        respond(
          call,
          request.subscribe.names.map((name) =>
            config.destinations[name]
              ? { name, version: '1', destination: config.destinations[name] }
              : { name, version: '1', doesNotExist: { reason: 'not in the test mesh' } },
          ),
        );
      } else if (request.nack) {
        process.stderr.write(`NACK ${JSON.stringify(request.nack)}\n`);
      }
    });
    call.on('error', () => {});
    call.on('end', () => call.end());
  },
});
const credentials = ServerCredentials.createSsl(
  readFileSync(config.ca),
  [{ cert_chain: readFileSync(config.cert), private_key: readFileSync(config.key) }],
  false,
);
server.bindAsync(config.listen, credentials, (err) => {
  if (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.forceShutdown());
