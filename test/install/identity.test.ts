// The certificates an installation carries, checked with openssl (not with weft's own code):
// the injector certificate from install/identity/injector-cert.sh, and the Secrets that
// `weft install` prints.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_DIR, opensslIdentityDir, opensslVerify, runInjectorCertScript } from './fixtures.js';

function x509Text(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });
}

let identity: { dir: string; cleanup: () => void };
beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
});
afterAll(() => identity.cleanup());

describe('install/identity/injector-cert.sh', () => {
  it('issues a serving certificate for the injector Service, chained to the trust anchor', () => {
    const chain = readFileSync(join(identity.dir, 'injector.crt'), 'utf8');
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const verify = opensslVerify(readFileSync(join(identity.dir, 'ca.crt'), 'utf8'), chain);
    expect(verify.ok, verify.output).toBe(true);
    const text = x509Text(chain);
    expect(text).toContain(
      'DNS:weft-injector.weft-system.svc, DNS:weft-injector.weft-system.svc.cluster.local',
    );
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toMatch(/CA:FALSE/);
    // The key matches the certificate.
    const certKey = execFileSync('openssl', ['x509', '-noout', '-pubkey'], {
      input: chain,
      encoding: 'utf8',
    });
    const key = execFileSync('openssl', ['pkey', '-pubout', '-in', join(identity.dir, 'injector.key')], {
      encoding: 'utf8',
    });
    expect(key).toBe(certKey);
  });

  it('refuses a folder without the issuer, naming the command that creates it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'weft-noissuer-'));
    try {
      const r = spawnSync('sh', [join(INSTALL_DIR, 'identity', 'injector-cert.sh'), empty], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `${empty}/issuer.crt is missing (run: weft identity create-ca --out ${empty})`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
