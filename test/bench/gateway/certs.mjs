// The gateway benchmark's server certificate, made with openssl: a CA and one ECDSA P-256 leaf
// for bench.weft.test and 127.0.0.1, served by every target (HAProxy, nginx, weft gateway).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The hostname the certificate names (and clients send as SNI where they can). */
export const HOSTNAME = 'bench.weft.test';

/**
 * Writes ca.crt, server.crt (leaf then CA), server.key and server.pem (HAProxy's cert+key file)
 * into `dir`; returns their paths and PEM texts.
 */
export function makeServerCert(dir) {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/O=weft-bench/CN=gateway-bench-ca',
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
  // PKCS#8 so that every consumer (Node, HAProxy, nginx) reads the same key file.
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'server.key']);
  openssl(dir, [
    'req',
    '-new',
    '-key',
    'server.key',
    '-subj',
    `/O=weft-bench/CN=${HOSTNAME}`,
    '-out',
    'server.csr',
  ]);
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=DNS:${HOSTNAME},IP:127.0.0.1`,
  ].join('\n');
  writeFileSync(join(dir, 'server.ext'), `${ext}\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'leaf.crt',
  ]);
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
