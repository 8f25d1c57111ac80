// The files a throwaway kube-apiserver needs: a serving certificate (openssl), a service-account
// key pair (node:crypto), a token file, and the kubeconfig that clients and kubectl read.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where the envtest binaries are, or why the tests that need them skip. */
export type EnvtestAssets =
  | { type: 'ok'; dir: string; kubeApiserver: string; etcd: string; kubectl: string }
  | { type: 'missing'; reason: string };

/** Reads KUBEBUILDER_ASSETS (the envtest convention) and checks the three binaries are there. */
export function envtestAssets(env: NodeJS.ProcessEnv = process.env): EnvtestAssets {
  const dir = env.KUBEBUILDER_ASSETS;
  if (dir === undefined || dir === '')
    return {
      type: 'missing',
      reason:
        'KUBEBUILDER_ASSETS is unset (no real kube-apiserver; .ci/run prepares one with ../shared/envtest/prepare.sh)',
    };
  const paths = {
    kubeApiserver: join(dir, 'kube-apiserver'),
    etcd: join(dir, 'etcd'),
    kubectl: join(dir, 'kubectl'),
  };
  for (const p of Object.values(paths)) {
    if (!existsSync(p) || (statSync(p).mode & 0o111) === 0)
      return { type: 'missing', reason: `KUBEBUILDER_ASSETS=${dir} has no executable ${p}` };
  }
  return { type: 'ok', dir, ...paths };
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The credentials of one throwaway API server, all written under `dir`. */
export interface ApiServerFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
  readonly saPublicKey: string;
  readonly saPrivateKey: string;
  readonly tokenFile: string;
  readonly token: string;
}

/**
 * Writes `<name>.crt` and `<name>.key`: a self-signed ECDSA P-256 serving certificate for
 * 127.0.0.1 (and localhost), valid 2 days. Being self-signed, it is its own CA bundle.
 */
export function writeLoopbackCert(
  dir: string,
  name: string,
  commonName: string,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert, key };
}

/** Writes a self-signed serving certificate for 127.0.0.1, SA keys and a system:masters token. */
export function writeApiServerFiles(dir: string): ApiServerFiles {
  const { cert: certFile, key: keyFile } = writeLoopbackCert(dir, 'apiserver', '127.0.0.1');
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saPublicKey = join(dir, 'sa.pub');
  const saPrivateKey = join(dir, 'sa.key');
  writeFileSync(saPublicKey, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(saPrivateKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},admin,admin-uid,system:masters\n`, { mode: 0o600 });
  return {
    certFile,
    keyFile,
    caPem: readFileSync(certFile, 'utf8'),
    saPublicKey,
    saPrivateKey,
    tokenFile,
    token,
  };
}

/** A kubeconfig for `server` that trusts `caPem` and authenticates with `token`. */
export function kubeconfigYaml(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: envtest`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: envtest',
    '  context: {cluster: envtest, user: admin, namespace: default}',
    'current-context: envtest',
    '',
  ].join('\n');
}
