import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryRequest__Output } from './gen/weft/discovery/v1alpha1/DiscoveryRequest.js';
import type { DiscoveryResponse__Output } from './gen/weft/discovery/v1alpha1/DiscoveryResponse.js';
import type { CertifyResponse__Output } from './gen/weft/identity/v1alpha1/CertifyResponse.js';
import { loadDiscoveryProto, loadIdentityProto } from './proto.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated types', () => {
  it('are up to date with the .proto files (run `npm run proto` if this fails)', () => {
    const out = mkdtempSync(join(tmpdir(), 'weft-proto-'));
    try {
      execFileSync(process.execPath, [join(pkgDir, 'scripts', 'gen-proto.mjs'), out], { stdio: 'pipe' });
      const committed = join(pkgDir, 'src', 'gen');
      const fresh = listFiles(out);
      expect(listFiles(committed)).toEqual(fresh);
      for (const file of fresh) {
        expect(readFileSync(join(committed, file), 'utf8'), file).toBe(readFileSync(join(out, file), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('gRPC round trip over loopback', () => {
  const server = new grpc.Server();
  let client: {
    identity: InstanceType<ReturnType<typeof loadIdentityProto>['weft']['identity']['v1alpha1']['Identity']>;
    discovery: InstanceType<
      ReturnType<typeof loadDiscoveryProto>['weft']['discovery']['v1alpha1']['Discovery']
    >;
  };
  const seen: DiscoveryRequest__Output[] = [];

  beforeAll(async () => {
    const identityPkg = loadIdentityProto().weft.identity.v1alpha1;
    const discoveryPkg = loadDiscoveryProto().weft.discovery.v1alpha1;
    server.addService(identityPkg.Identity.service, {
      Certify(
        call: grpc.ServerUnaryCall<{ token: string; csr: Buffer }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) {
        cb(null, {
          leafCertificate: Buffer.from(`leaf-for-${call.request.token}`),
          intermediateCertificates: [Buffer.from('issuer')],
          validUntil: { seconds: '1767225600', nanos: 0 },
          identity: 'spiffe://cluster.local/ns/shop/sa/web',
          trustAnchors: [call.request.csr],
        });
      },
    });
    server.addService(discoveryPkg.Discovery.service, {
      Stream(call: grpc.ServerDuplexStream<DiscoveryRequest__Output, unknown>) {
        call.on('data', (req: DiscoveryRequest__Output) => {
          seen.push(req);
          if (req.kind === 'subscribe') {
            call.write({
              versionInfo: '7',
              nonce: 'n1',
              resources: [
                {
                  name: req.subscribe?.names[0],
                  version: '3',
                  destination: {
                    authority: 'api.shop.svc.cluster.local:80',
                    protocol: 'PROTOCOL_HTTP',
                    routes: [
                      {
                        name: 'default',
                        matches: [{ path: { prefix: '/v1' }, method: 'GET' }],
                        backends: [{ backend: 'api-v2.shop:80', weight: 10 }],
                        requestTimeout: { seconds: '10', nanos: 0 },
                      },
                    ],
                    backends: [
                      {
                        name: 'api-v2.shop:80',
                        endpoints: [
                          {
                            address: '127.0.0.1',
                            port: 80,
                            identity: 'spiffe://cluster.local/ns/shop/sa/api',
                            meshed: { inboundPort: 7143 },
                          },
                        ],
                      },
                    ],
                  },
                },
                { name: 'nope.shop:80', doesNotExist: { reason: 'no such service' } },
              ],
              removedNames: ['old.shop:80'],
            });
          }
          if (req.kind === 'ack') call.end();
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const creds = grpc.credentials.createInsecure();
    client = {
      identity: new identityPkg.Identity(`127.0.0.1:${port}`, creds),
      discovery: new discoveryPkg.Discovery(`127.0.0.1:${port}`, creds),
    };
  });

  afterAll(() => {
    client.identity.close();
    client.discovery.close();
    server.forceShutdown();
  });

  it('carries Certify requests and responses', async () => {
    const res = await new Promise<CertifyResponse__Output>((resolve, reject) =>
      client.identity.Certify({ token: 'tok', csr: Buffer.from([1, 2, 3]) }, (err, r) =>
        err || !r ? reject(err) : resolve(r),
      ),
    );
    expect(res.leafCertificate.toString()).toBe('leaf-for-tok');
    expect(res.intermediateCertificates.map((b) => b.toString())).toEqual(['issuer']);
    expect(res.validUntil?.seconds).toBe('1767225600');
    expect(res.trustAnchors[0]).toEqual(Buffer.from([1, 2, 3]));
  });

  it('carries the Discovery stream: node, subscribe, deltas with oneofs, ack', async () => {
    const call = client.discovery.Stream();
    const responses: DiscoveryResponse__Output[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (r: DiscoveryResponse__Output) => {
        responses.push(r);
        call.write({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
      });
      call.on('end', resolve);
      call.on('error', reject);
    });
    call.write({
      node: {
        workload: 'web-1',
        namespace: 'shop',
        serviceAccount: 'web',
        inboundPorts: [{ port: 8080, protocol: 'PROTOCOL_HTTP' }],
        labels: { app: 'web' },
      },
    });
    call.write({ subscribe: { names: ['api.shop:80'] } });
    await done;
    call.end();

    expect(seen.map((r) => r.kind)).toEqual(['node', 'subscribe', 'ack']);
    expect(seen[0]?.node?.inboundPorts[0]).toEqual({ port: 8080, protocol: 'PROTOCOL_HTTP' });
    expect(seen[2]?.ack).toEqual({ versionInfo: '7', nonce: 'n1' });
    const [res] = responses;
    expect(res?.removedNames).toEqual(['old.shop:80']);
    const [dest, missing] = res?.resources ?? [];
    expect(dest?.kind).toBe('destination');
    expect(dest?.destination?.routes[0]?.matches[0]?.path?.kind).toBe('prefix');
    expect(dest?.destination?.routes[0]?.requestTimeout).toEqual({ seconds: '10', nanos: 0 });
    expect(dest?.destination?.backends[0]?.endpoints[0]?.meshed?.inboundPort).toBe(7143);
    expect(missing?.kind).toBe('doesNotExist');
    expect(missing?.doesNotExist?.reason).toBe('no such service');
  });
});
