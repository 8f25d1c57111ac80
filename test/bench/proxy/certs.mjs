// Test certificates for the HAProxy mTLS pair, made with openssl: a CA and two EC P-256
// leaves with SPIFFE URI SANs (the same shape as weft's SVIDs).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function leaf(dir, name, spiffeId) {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, [
    'req',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    `/O=weft-bench/CN=${name}`,
    '-out',
    `${name}.csr`,
  ]);
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=URI:${spiffeId},DNS:${name}`,
  ].join('\n');
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  // HAProxy wants certificate and key in one file.
  const pem = join(dir, `${name}.pem`);
  writeFileSync(
    pem,
    readFileSync(join(dir, `${name}.crt`), 'utf8') + readFileSync(join(dir, `${name}.key`), 'utf8'),
  );
  return pem;
}

/** Writes ca.crt, client.pem and server.pem into `dir`; returns their paths. */
export function makeMtlsCerts(dir) {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/O=weft-bench/CN=bench-ca',
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
  return {
    ca: join(dir, 'ca.crt'),
    client: leaf(dir, 'client', 'spiffe://cluster.local/ns/bench/sa/client'),
    server: leaf(dir, 'server', 'spiffe://cluster.local/ns/bench/sa/origin'),
  };
}
