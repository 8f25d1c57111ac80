/**
 * A scripted Discovery server for proxy end-to-end tests: answers each subscription from a
 * table built from the nodes that registered (so endpoints carry the ports the proxies
 * really bound). It stands in for the control plane until the real one is wired here.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type DiscoveryRequest__Output,
  type DiscoveryResponse,
  loadDiscoveryProto,
  type Node__Output,
} from '@weft/api';

export type Answer = (name: string, nodes: readonly Node__Output[]) => DiscoveryResponse['resources'];

export interface FakeDiscovery {
  readonly port: number;
  readonly received: DiscoveryRequest__Output[];
  readonly nodes: Node__Output[];
  /** Resolves once `count` nodes have registered in total. */
  nodesRegistered(count: number): Promise<void>;
  kill(): void;
}

export async function startFakeDiscovery(opts: {
  answer: Answer;
  tls: { key: string; cert: string; ca: string };
  port?: number;
  nodes?: Node__Output[];
}): Promise<FakeDiscovery> {
  const received: DiscoveryRequest__Output[] = [];
  const nodes = opts.nodes ?? [];
  let n = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of [...waiters]) {
      if (nodes.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const server = new grpc.Server();
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>) => {
      call.on('error', () => {});
      call.on('data', (req: DiscoveryRequest__Output) => {
        received.push(req);
        if (req.kind === 'node' && req.node != null) {
          nodes.push(req.node);
          wake();
          n++;
          call.write({
            versionInfo: String(n),
            nonce: `n${n}`,
            resources: [{ name: 'mesh', version: '1', meshConfig: { trustDomain: 'cluster.local' } }],
          });
        }
        if (req.kind === 'subscribe') {
          n++;
          call.write({
            versionInfo: String(n),
            nonce: `n${n}`,
            resources: req.subscribe!.names.flatMap((name) => opts.answer(name, nodes)),
          });
        }
      });
    },
  });
  const creds = grpc.ServerCredentials.createSsl(
    Buffer.from(opts.tls.ca),
    [{ private_key: Buffer.from(opts.tls.key), cert_chain: Buffer.from(opts.tls.cert) }],
    false,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, creds, (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    received,
    nodes,
    nodesRegistered: (count) =>
      nodes.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    kill: () => server.forceShutdown(),
  };
}
