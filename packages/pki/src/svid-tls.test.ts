// The chain node:tls reports for an mTLS peer, validated as an X.509-SVID.
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { CertificateAuthority, createIssuer, createTrustAnchor } from './ca.js';
import { createCsr } from './csr.js';
import { derToPem } from './der.js';
import { generateKeyPair, privateKeyToPem } from './keys.js';
import { peerCertificateChain, validateSvid, validateSvidLeaf } from './svid.js';
import { TrustBundle } from './trust-bundle.js';

const TD = 'cluster.local';
const anchor = createTrustAnchor({ trustDomain: TD, validityMs: 86400_000 });
const issuer = createIssuer({ trustDomain: TD, validityMs: 86400_000, anchor });
const bundle = TrustBundle.fromDer([anchor.certificate]);
const ca = new CertificateAuthority({ trustDomain: TD, issuer, trustAnchors: bundle });

function svid(identity: string) {
  const { privateKey } = generateKeyPair();
  const r = ca.issue({ csr: createCsr({ privateKey }), identity });
  if (r.type !== 'issued') throw new Error(r.message);
  return {
    key: privateKeyToPem(privateKey),
    cert: r.certificate.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
  };
}

describe('peerCertificateChain over a real mTLS connection', () => {
  it('yields a chain that validates on both sides', async () => {
    const server = svid('spiffe://cluster.local/ns/shop/sa/api');
    const client = svid('spiffe://cluster.local/ns/shop/sa/web');
    const seen: Promise<string> = new Promise((resolve) => {
      const tlsServer = createServer(
        { ...server, ca: bundle.toPem(), requestCert: true, rejectUnauthorized: true },
        (socket: TLSSocket) => {
          const chain = peerCertificateChain(socket.getPeerCertificate(true));
          const result = validateSvid(chain, { bundle, trustDomain: TD, now: Date.now() });
          socket.end();
          tlsServer.close();
          resolve(result.type === 'valid' ? result.identity : result.reason);
        },
      );
      tlsServer.listen(0, '127.0.0.1', () => {
        const { port } = tlsServer.address() as AddressInfo;
        const socket = connect(
          { host: '127.0.0.1', port, ...client, ca: bundle.toPem(), checkServerIdentity: () => undefined },
          () => {
            const peer = socket.getPeerCertificate(true);
            expect(
              validateSvidLeaf(peer.raw, {
                trustDomain: TD,
                now: Date.now(),
                expectedIdentity: 'spiffe://cluster.local/ns/shop/sa/api',
              }),
            ).toMatchObject({ type: 'valid' });
            expect(peerCertificateChain(peer).length).toBeGreaterThanOrEqual(2);
          },
        );
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
      });
    });
    expect(await seen).toBe('spiffe://cluster.local/ns/shop/sa/web');
  });
});
