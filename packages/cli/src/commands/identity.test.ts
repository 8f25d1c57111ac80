// `weft identity create-ca`, `weft token create` and `weft identity issue`, run as the real binary
// (dist/; `npm test` builds first) against a control plane served in this process.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Server } from '@grpc/grpc-js';
import {
  addIdentityService,
  createIdentityServerCredentials,
  joinTokenValidator,
  type ServingCredentials,
} from '@weft/control-plane';
import { loadIdentityDir } from '@weft/pki';
import { afterAll, describe, expect, it } from 'vitest';

const WEFT = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'weft-cli-id-'));
const cleanups: Array<() => void> = [() => rmSync(root, { recursive: true, force: true })];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});

async function weft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [WEFT, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('weft identity / weft token', () => {
  const dir = join(root, 'ca');

  it('create-ca writes the folder with 0600 keys and refuses to overwrite without --force', async () => {
    const created = await weft(
      'identity',
      'create-ca',
      '--identity-dir',
      dir,
      '--trust-domain',
      'example.org',
      '--issuer-validity',
      '30d',
    );
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/trust domain example\.org/);
    for (const f of ['ca.key', 'issuer.key', 'token.key'])
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const again = await weft('identity', 'create-ca', '--identity-dir', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds .* --force/);
    expect(
      (await weft('identity', 'create-ca', '--identity-dir', join(root, 'x'), '--anchor-validity', 'forever'))
        .code,
    ).toBe(2);
    expect(
      (await weft('identity', 'create-ca', '--identity-dir', join(root, 'x'), '--trust-domain', 'Bad Domain'))
        .code,
    ).toBe(2);
  });

  it('token create prints a join token; issue fetches an SVID with it that openssl verifies', async () => {
    const loaded = await loadIdentityDir(dir);
    const server = new Server();
    const serving: ServingCredentials = createIdentityServerCredentials({ ca: loaded.ca });
    addIdentityService(server, {
      ca: loaded.ca,
      validator: joinTokenValidator({ key: loaded.tokenKey, trustDomain: loaded.trustDomain }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serving.credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    cleanups.push(() => {
      serving.close();
      server.forceShutdown();
    });

    const token = await weft(
      'token',
      'create',
      '--identity-dir',
      dir,
      '--namespace',
      'batch',
      '--service-account',
      'report',
      '--service',
      'reports',
      '--service',
      'batch/exports',
      '--ttl',
      '1h',
    );
    expect(token.code).toBe(0);
    // A standard JWT anyone can inspect: EdDSA, audience weft, the identity and its services.
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const [header, payload] = token.stdout
      .trim()
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT' });
    expect(payload).toMatchObject({
      aud: 'weft',
      sub: 'spiffe://example.org/ns/batch/sa/report',
      services: ['batch/reports', 'batch/exports'],
    });
    const tokenFile = join(root, 'token');
    writeFileSync(tokenFile, token.stdout);

    const out = join(root, 'svid');
    const caFile = join(dir, 'ca.crt');
    const issued = await weft(
      'identity',
      'issue',
      '--control-plane',
      `127.0.0.1:${port}`,
      '--ca-file',
      caFile,
      '--token-file',
      tokenFile,
      '--svid-dir',
      out,
    );
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^spiffe:\/\/example\.org\/ns\/batch\/sa\/report valid until /);
    expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    const verify = await run('openssl', [
      'verify',
      '-CAfile',
      join(out, 'bundle.pem'),
      '-untrusted',
      join(out, 'cert.pem'),
      join(out, 'cert.pem'),
    ]);
    expect(verify.stdout).toMatch(/OK/);
    const key = await run('openssl', ['pkey', '-in', join(out, 'key.pem'), '-pubout']);
    const certKey = await run('openssl', ['x509', '-in', join(out, 'cert.pem'), '-noout', '-pubkey']);
    expect(key.stdout).toBe(certKey.stdout);
    expect(readFileSync(join(out, 'bundle.pem'), 'utf8')).toBe(readFileSync(caFile, 'utf8'));

    writeFileSync(tokenFile, 'garbage');
    const refused = await weft(
      'identity',
      'issue',
      '--control-plane',
      `127.0.0.1:${port}`,
      '--ca-file',
      caFile,
      '--token-file',
      tokenFile,
      '--svid-dir',
      out,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate request failed \(token-malformed\)/);
  });

  it('rotate-issuer keeps the anchor and replaces the issuer', async () => {
    const before = readFileSync(join(dir, 'issuer.crt'), 'utf8');
    const anchor = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const rotated = await weft(
      'identity',
      'rotate-issuer',
      '--identity-dir',
      dir,
      '--issuer-validity',
      '90d',
    );
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/new issuer .* valid until/);
    expect(readFileSync(join(dir, 'issuer.crt'), 'utf8')).not.toBe(before);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(anchor);
    const verify = await run('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'issuer.crt')]);
    expect(verify.stdout).toMatch(/OK/);
    expect((await weft('identity', 'rotate-issuer', '--identity-dir', join(root, 'nope'))).code).toBe(1);
  });

  it('still takes the old flag names, with a warning naming the new one', async () => {
    const old = await weft('identity', 'create-ca', '--out', join(root, 'old-name'));
    expect(old.code).toBe(0);
    expect(old.stderr).toBe('weft: --out is deprecated; use --identity-dir\n');
    expect(statSync(join(root, 'old-name', 'ca.crt')).isFile()).toBe(true);
    const rotated = await weft('identity', 'rotate-issuer', '--dir', join(root, 'old-name'));
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe('weft: --dir is deprecated; use --identity-dir\n');
  });

  it('token create rejects bad names as usage errors and a missing folder as a failure', async () => {
    const bad = await weft(
      'token',
      'create',
      '--identity-dir',
      dir,
      '--namespace',
      'Not_A_Label',
      '--service-account',
      'x',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a valid namespace/);
    const otherNs = await weft(
      'token',
      'create',
      '--identity-dir',
      dir,
      '--namespace',
      'batch',
      '--service-account',
      'x',
      '--service',
      'bank/vault',
    );
    expect(otherNs.code).toBe(2);
    expect(otherNs.stderr).toMatch(/not in the token's namespace batch/);
    const missing = await weft(
      'token',
      'create',
      '--identity-dir',
      join(root, 'nope'),
      '--namespace',
      'a',
      '--service-account',
      'b',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the identity folder/);
  });
});
