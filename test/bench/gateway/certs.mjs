// The gateway benchmark's server certificate, made with openssl: a CA and one ECDSA P-256 leaf
// for bench.weft.test and 127.0.0.1, served by every target (HAProxy, nginx, weft gateway).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCa, signLeaf } from '../proxy/certs.mjs';

/** The hostname the certificate names (and clients send as SNI where they can). */
export const HOSTNAME = 'bench.weft.test';

/**
 * Writes ca.crt, server.crt (leaf then CA), server.key and server.pem (HAProxy's cert+key file)
 * into `dir`; returns their paths and PEM texts.
 */
export function makeServerCert(dir) {
  makeCa(dir, 'gateway-bench-ca');
  signLeaf(dir, 'server', {
    cn: HOSTNAME,
    pkcs8: true,
    out: 'leaf.crt',
    extensions: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${HOSTNAME},IP:127.0.0.1`,
    ],
  });
  const leaf = readFileSync(join(dir, 'leaf.crt'), 'utf8');
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const key = readFileSync(join(dir, 'server.key'), 'utf8');
  writeFileSync(join(dir, 'server.crt'), leaf + ca);
  writeFileSync(join(dir, 'server.pem'), leaf + ca + key);
  return {
    ca: join(dir, 'ca.crt'),
    chain: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    pem: join(dir, 'server.pem'),
    chainPem: leaf + ca,
    keyPem: key,
  };
}
