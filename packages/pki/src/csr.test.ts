import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsr, MAX_CSR_BYTES, verifyCsr } from './csr.js';
import { generateKeyPair } from './keys.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-csr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslCsr(keyArgs: string[], digest = '-sha256'): Buffer {
  const key = join(dir, 'k.pem');
  const out = join(dir, 'r.der');
  execFileSync('openssl', ['genpkey', ...keyArgs, '-out', key], { stdio: 'ignore' });
  execFileSync(
    'openssl',
    ['req', '-new', '-key', key, '-subj', '/CN=x', digest, '-outform', 'DER', '-out', out],
    {
      stdio: 'ignore',
    },
  );
  return readFileSync(out);
}

describe('verifyCsr', () => {
  it.each(['ecdsa-p256', 'rsa-2048'] as const)(
    'accepts a CSR built by createCsr (%s) and openssl reads it',
    (alg) => {
      const csr = createCsr({ privateKey: generateKeyPair(alg).privateKey, commonName: 'web' });
      const result = verifyCsr(csr);
      expect(result).toMatchObject({ type: 'ok', csr: { keyKind: alg === 'rsa-2048' ? 'rsa' : 'ec' } });
      const out = execFileSync('openssl', ['req', '-inform', 'DER', '-verify', '-noout', '-subject'], {
        input: csr,
        stdio: ['pipe', 'pipe', 'pipe'],
      }).toString();
      expect(out).toMatch(/subject=CN ?= ?web/);
    },
  );

  it('accepts CSRs made by openssl', () => {
    expect(verifyCsr(opensslCsr(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])).type).toBe(
      'ok',
    );
    expect(
      verifyCsr(opensslCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], '-sha384')).type,
    ).toBe('ok');
  });

  it('rejects an invalid signature', () => {
    const csr = Buffer.from(createCsr({ privateKey: generateKeyPair().privateKey }));
    csr[csr.length - 3] = (csr[csr.length - 3] as number) ^ 0x01;
    expect(verifyCsr(csr)).toMatchObject({ type: 'rejected', reason: 'bad-signature' });
  });

  it('rejects a CSR whose key was swapped after signing', () => {
    const a = createCsr({ privateKey: generateKeyPair().privateKey });
    const b = createCsr({ privateKey: generateKeyPair().privateKey });
    // Same layout for two P-256 CSRs: take b's info and a's signature.
    const sigA = a.subarray(a.length - 72);
    const swapped = Buffer.concat([b.subarray(0, b.length - 72), sigA]);
    const result = verifyCsr(swapped);
    expect(result.type).toBe('rejected');
  });

  it.each([
    ['garbage', Buffer.from('not a csr at all')],
    ['empty', Buffer.alloc(0)],
    ['truncated', () => createCsr({ privateKey: generateKeyPair().privateKey }).subarray(0, 50)],
    [
      'trailing bytes',
      () => Buffer.concat([createCsr({ privateKey: generateKeyPair().privateKey }), Buffer.of(0)]),
    ],
    [
      'a PEM text instead of DER',
      () => Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n'),
    ],
  ])('rejects %s as malformed', (_label, input) => {
    const der = typeof input === 'function' ? input() : input;
    expect(verifyCsr(der)).toMatchObject({ type: 'rejected', reason: 'malformed' });
  });

  it('rejects an oversized CSR before parsing it', () => {
    expect(verifyCsr(Buffer.alloc(MAX_CSR_BYTES + 1))).toMatchObject({
      type: 'rejected',
      reason: 'too-large',
      message: `CSR is ${MAX_CSR_BYTES + 1} bytes (limit ${MAX_CSR_BYTES})`,
    });
  });

  it('rejects weak and unsupported keys', () => {
    expect(verifyCsr(opensslCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']))).toMatchObject({
      type: 'rejected',
      reason: 'weak-key',
    });
    expect(
      verifyCsr(opensslCsr(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'])),
    ).toMatchObject({
      type: 'rejected',
      reason: 'unsupported-key',
    });
  });

  it('rejects a signature algorithm it does not verify', () => {
    expect(
      verifyCsr(opensslCsr(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], '-sha1')),
    ).toMatchObject({
      type: 'rejected',
      reason: 'unsupported-signature-algorithm',
    });
  });
});
