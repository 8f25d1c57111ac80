/**
 * Test certificates made with the openssl CLI (EC P-256, fast): a root, and SPIFFE leaves
 * with one URI SAN each. Tests only; the real CA lives in @weft/pki.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
  /** Issues a leaf whose URI SAN is `spiffeId`, plus extra SANs such as `IP:127.0.0.1` or `DNS:name`. */
  issue(
    spiffeId: string,
    extraSans?: readonly string[],
  ): { key: string; certChain: string; trustBundle: string };
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a fresh root CA in a temp directory. */
export function createTestCa(name = 'weft-test-root'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'weft-ca-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-out',
      'ca.pem',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const certPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const keyPem = readFileSync(join(dir, 'ca.key'), 'utf8');
  let seq = 0;
  return {
    certPem,
    keyPem,
    issue(spiffeId, extraSans = []) {
      const n = ++seq;
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `l${n}.key`], dir);
      openssl(['req', '-new', '-key', `l${n}.key`, '-subj', '/O=weft', '-out', `l${n}.csr`], dir);
      writeFileSync(
        join(dir, `l${n}.ext`),
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          `subjectAltName=URI:${spiffeId}${extraSans.map((s) => `,${s}`).join('')}`,
        ].join('\n'),
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `l${n}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-days',
          '1',
          '-extfile',
          `l${n}.ext`,
          '-out',
          `l${n}.pem`,
        ],
        dir,
      );
      return {
        key: readFileSync(join(dir, `l${n}.key`), 'utf8'),
        certChain: readFileSync(join(dir, `l${n}.pem`), 'utf8'),
        trustBundle: certPem,
      };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
