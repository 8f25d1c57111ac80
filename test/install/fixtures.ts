// Shared helpers for the install tests: an identity folder made with openssl (independent of
// weft's own CA code), YAML parsing in both YAML versions, and kubectl when it is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './crd-validator.js';

export { REPO };
export const INSTALL_DIR = join(REPO, 'install');

/** A temporary folder with ca.crt, ca.key, issuer.crt, issuer.key, token.key made by openssl. */
export function opensslIdentityDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-identity-'));
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/O=test/CN=test root',
  );
  run(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'issuer.key',
    '-out',
    'issuer.csr',
    '-subj',
    '/O=test/CN=test issuer',
  );
  writeFileSync(
    join(dir, 'ext.cnf'),
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  run('genpkey', '-algorithm', 'ed25519', '-out', 'token.key');
  run(
    'x509',
    '-req',
    '-in',
    'issuer.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '7',
    '-days',
    '365',
    '-extfile',
    'ext.cnf',
    '-out',
    'issuer.crt',
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs install/identity/injector-cert.sh on `dir`. */
export function runInjectorCertScript(dir: string): void {
  execFileSync('sh', [join(INSTALL_DIR, 'identity', 'injector-cert.sh'), dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** `openssl verify` of `leafChainPem` (leaf first, then intermediates) against `caPem`. */
export function opensslVerify(caPem: string, leafChainPem: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-verify-'));
  try {
    const blocks =
      leafChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(join(dir, 'leaf.pem'), blocks[0] ?? '');
    writeFileSync(join(dir, 'chain.pem'), blocks.slice(1).join(''));
    const args = ['verify', '-CAfile', 'ca.pem'];
    if (blocks.length > 1) args.push('-untrusted', 'chain.pem');
    const r = spawnSync('openssl', [...args, 'leaf.pem'], { cwd: dir, encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every document of a YAML text as plain data, in YAML 1.2 (as weft reads) or 1.1 (as kubectl does). */
export function parseYamlStream(text: string, version: '1.1' | '1.2' = '1.2'): unknown[] {
  return parseAllDocuments(text, { version })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors[0]?.message);
      return d.toJS({ maxAliasCount: 1000 });
    })
    .filter((v) => v !== null && v !== undefined);
}

/** Every *.yaml file under `dir`. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFilesUnder(path));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(path);
  }
  return out.sort();
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** True when a kubectl with kustomize built in can run here. */
export function hasKubectl(): boolean {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && r.stdout.includes('Kustomize');
}
