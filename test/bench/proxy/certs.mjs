// Test certificates for the HAProxy mTLS pair, made with openssl: a CA and two EC P-256
// leaves with SPIFFE URI SANs (the same shape as weft's SVIDs). makeCa and signLeaf also make the
// gateway benchmark's server certificate (../gateway/certs.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes ca.key and a self-signed ca.crt (EC P-256, 2 days) named `cn` into `dir`. */
export function makeCa(dir, cn) {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    `/O=weft-bench/CN=${cn}`,
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
}

/**
 * Writes `${name}.key` (EC P-256; PKCS#8 with `pkcs8`, which Node, HAProxy and nginx all read)
 * and `${out}` (default `${name}.crt`): a leaf for `cn` signed by the CA in `dir`, with the
 * `extensions` lines (x509v3 config syntax).
 */
export function signLeaf(dir, name, { cn, extensions, pkcs8 = false, out = `${name}.crt` }) {
  const key = `${name}.key`;
  if (pkcs8)
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  else openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(dir, ['req', '-new', '-key', key, '-subj', `/O=weft-bench/CN=${cn}`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
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
    out,
  ]);
}

function leaf(dir, name, spiffeId) {
  signLeaf(dir, name, {
    cn: name,
    extensions: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=URI:${spiffeId},DNS:${name}`,
    ],
  });
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
  makeCa(dir, 'bench-ca');
  return {
    ca: join(dir, 'ca.crt'),
    client: leaf(dir, 'client', 'spiffe://cluster.local/ns/bench/sa/client'),
    server: leaf(dir, 'server', 'spiffe://cluster.local/ns/bench/sa/origin'),
  };
}
