/** Test certificates made with openssl: a CA, a server certificate for 127.0.0.1, and SPIFFE client certificates. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestPki {
  readonly ca: Buffer;
  readonly server: KeyPair;
  /** A client certificate whose only URI SAN is `uri`. */
  client(uri: string): KeyPair;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function leaf(dir: string, name: string, san: string, usage: string): KeyPair {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
  writeFileSync(
    join(dir, `${name}.ext`),
    `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n`,
  );
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
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

/** Creates a throwaway CA and server certificate. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cp-pki-'));
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=weft test root',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  ]);
  const server = leaf(dir, 'server', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  let n = 0;
  const clients = new Map<string, KeyPair>();
  return {
    ca: readFileSync(join(dir, 'ca.crt')),
    server,
    client(uri) {
      let pair = clients.get(uri);
      if (pair === undefined) {
        pair = leaf(dir, `client${++n}`, `URI:${uri}`, 'clientAuth,serverAuth');
        clients.set(uri, pair);
      }
      return pair;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
