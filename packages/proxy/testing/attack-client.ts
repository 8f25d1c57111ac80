/**
 * Test helpers for attacking a sidecar: push an inbound policy, dial its inbound port as a
 * meshed peer (mTLS + preamble) or in plaintext, and read what comes back until close.
 */
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { InboundPolicy } from '../src/discovery/resolver.js';
import type { DiscoveryState } from '../src/discovery/state.js';
import { encodePreamble, type MeshProtocol } from '../src/net/preamble.js';
import { MESH_ALPN } from '../src/tls/tls-contexts.js';
import { response } from './mesh-pair.js';

type Rule = InboundPolicy['rules'][number];

/** A Deny rule on `paths` for every source (authenticated or not). */
export function denyPaths(name: string, paths: readonly string[]): Rule {
  return {
    name,
    action: 'AUTHORIZATION_ACTION_DENY',
    from: [],
    to: [{ ports: [], methods: [], paths: [...paths] }],
  };
}

/** Pushes an inbound policy (permissive unless told) to `state`. */
export function pushInboundPolicy(
  state: DiscoveryState,
  rules: readonly Rule[],
  opts: { ports?: InboundPolicy['ports']; mtls?: InboundPolicy['mtlsMode'] } = {},
): void {
  state.apply(
    response([
      {
        name: 'inbound',
        version: String(Math.random()),
        kind: 'inboundPolicy',
        inboundPolicy: {
          defaultAction: 'DEFAULT_ACTION_ALLOW_ALL',
          mtlsMode: opts.mtls ?? 'MTLS_MODE_PERMISSIVE',
          ports: opts.ports ?? [],
          rules: [...rules],
        },
      },
    ]),
  );
}

/** Dials `port` over mTLS as the peer holding `material`; resolves once the handshake is done. */
export async function dialMesh(
  port: number,
  material: { key: string; certChain: string; trustBundle: string },
): Promise<Socket> {
  const s = connectTls({
    host: '127.0.0.1',
    port,
    key: material.key,
    cert: material.certChain,
    ca: material.trustBundle,
    ALPNProtocols: [MESH_ALPN],
    checkServerIdentity: () => undefined,
  });
  await once(s, 'secureConnect');
  return s;
}

/** Dials `port` over mTLS and sends a preamble for `protocol` to app port `appPort`. */
export async function dialMeshWithPreamble(
  port: number,
  material: { key: string; certChain: string; trustBundle: string },
  protocol: MeshProtocol,
  appPort: number,
): Promise<Socket> {
  const s = await dialMesh(port, material);
  // Wait for the write to finish: handing a TLS socket with a write in flight to node:http2
  // trips a native assertion.
  await new Promise<void>((resolve) => s.write(encodePreamble({ protocol, port: appPort }), () => resolve()));
  return s;
}

/** Dials `port` in plaintext; resolves once connected. */
export async function dialPlain(port: number): Promise<Socket> {
  const s = connectTcp(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
}

/** Collects everything `socket` receives until it closes (errors count as close). */
export function readUntilClose(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => {});
  return new Promise((resolve) =>
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))),
  );
}
