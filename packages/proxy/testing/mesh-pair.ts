/**
 * Two in-process sidecars on loopback with test certificates: A's explicit upstream for
 * "b.default.svc.cluster.local:80" leads over mTLS to B, whose inbound maps port 80 to an app.
 */
import type { DiscoveryResponse__Output } from '@weft/api';
import { DiscoveryState } from '../src/discovery/state.js';
import { defaultProxyOptions, type ProxyOptions } from '../src/options.js';
import { type ListeningPorts, type ProxyDeps, Sidecar } from '../src/proxy.js';
import { StaticCertificateSource } from '../src/tls/certificate-source.js';
import { createTestCa, type TestCa } from './certs.js';

export const A_ID = 'spiffe://cluster.local/ns/default/sa/a';
export const B_ID = 'spiffe://cluster.local/ns/default/sa/b';
export const B_AUTHORITY = 'b.default.svc.cluster.local:80';

export interface MeshPair {
  readonly ca: TestCa;
  readonly a: Sidecar;
  readonly b: Sidecar;
  readonly aPorts: ListeningPorts;
  readonly bPorts: ListeningPorts;
  readonly aState: DiscoveryState;
  readonly bState: DiscoveryState;
  /** The local port the app of A dials to reach B. */
  readonly upstreamPort: number;
  /** Pushes a destination for B_AUTHORITY to A (identity defaults to B's). */
  pushDestination(opts?: { identity?: string; protocol?: string; appPort?: number }): void;
  close(): Promise<void>;
}

let nonce = 0;

/** A response carrying one resource, as the control plane would send it. */
export function response(resources: DiscoveryResponse__Output['resources']): DiscoveryResponse__Output {
  nonce++;
  return { versionInfo: String(nonce), nonce: `n${nonce}`, resources, removedNames: [] };
}

export async function startMeshPair(
  appPort: number,
  extra: {
    a?: Partial<ProxyOptions>;
    b?: Partial<ProxyOptions>;
    aDeps?: Partial<ProxyDeps>;
    bDeps?: Partial<ProxyDeps>;
  } = {},
): Promise<MeshPair> {
  const ca = createTestCa();
  const aState = new DiscoveryState();
  const bState = new DiscoveryState();
  const common = {
    listenHost: '127.0.0.1',
    adminHost: '127.0.0.1',
    inboundPort: 0,
    outboundPort: 0,
    adminPort: 0,
  };
  const b = new Sidecar(
    defaultProxyOptions({
      namespace: 'default',
      service: 'b',
      ...common,
      inbound: [{ servicePort: 80, appHost: '127.0.0.1', appPort }],
      ...extra.b,
    }),
    {
      certificates: new StaticCertificateSource(ca.issue(B_ID)),
      resolver: bState,
      policies: bState,
      ...extra.bDeps,
    },
  );
  const a = new Sidecar(
    defaultProxyOptions({
      namespace: 'default',
      service: 'a',
      ...common,
      upstreams: [{ authority: B_AUTHORITY, host: '127.0.0.1', port: 0 }],
      ...extra.a,
    }),
    {
      certificates: new StaticCertificateSource(ca.issue(A_ID)),
      resolver: aState,
      policies: aState,
      ...extra.aDeps,
    },
  );
  const bPorts = await b.start();
  const aPorts = await a.start();
  const pair: MeshPair = {
    ca,
    a,
    b,
    aPorts,
    bPorts,
    aState,
    bState,
    upstreamPort: aPorts.upstreams[B_AUTHORITY]!,
    pushDestination(opts = {}) {
      const backend = 'b.default:80';
      aState.apply(
        response([
          {
            name: B_AUTHORITY,
            version: '1',
            kind: 'destination',
            destination: {
              authority: B_AUTHORITY,
              service: 'b',
              namespace: 'default',
              port: 80,
              protocol: (opts.protocol ?? 'PROTOCOL_HTTP') as 'PROTOCOL_HTTP',
              routes: [],
              backends: [
                {
                  name: backend,
                  service: 'b',
                  namespace: 'default',
                  port: 80,
                  endpoints: [
                    {
                      address: '127.0.0.1',
                      port: opts.appPort ?? 80,
                      identity: opts.identity ?? B_ID,
                      weight: 1,
                      zone: '',
                      meshed: { inboundPort: bPorts.inbound },
                      labels: {},
                    },
                  ],
                },
              ],
              policy: null,
            },
          },
        ]),
      );
    },
    async close() {
      await a.close();
      await b.close();
      ca.cleanup();
    },
  };
  return pair;
}
