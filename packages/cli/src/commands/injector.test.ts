import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../../../../test/fixtures/injector/fake-kube-api.js';
import { parseListen } from '../cli-kit/listen.js';

const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
let dir: string;
let api: FakeKubeApi;
/** Every injector a test started: a test that fails before stopping its own leaves it to afterAll. */
const children: ChildProcess[] = [];
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-injector-cli-'));
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
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=weft-injector',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    'trustDomain: cluster.local\nmtls: strict\nproxy:\n  detectTimeout: 1s\n',
  );
  api = await startFakeKubeApi([{ name: 'shop', annotations: { 'weft.dev/inject': 'enabled' } }]);
  writeFileSync(
    join(dir, 'kubeconfig'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'fake',
      clusters: [{ name: 'fake', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
    }),
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(port: number, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/inject',
        ca: readFileSync(join(dir, 'tls.crt')),
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('weft injector', () => {
  it('parses --listen', () => {
    expect(parseListen('0.0.0.0:8443')).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(parseListen('[::]:8443')).toEqual({ host: '::', port: 8443 });
    expect(parseListen(':8443')).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(parseListen('8443')).toBeUndefined();
    expect(parseListen('a:99999')).toBeUndefined();
  });

  it.each([
    [['--tls-key-file', 'k'], '--tls-cert-file and --tls-key-file go together'],
    [[], 'give --tls-cert-file and --tls-key-file, or --identity-dir'],
    [['--tls-cert-file', 'c', '--tls-key-file', 'k', '--identity-dir', 'd'], 'or --identity-dir'],
    [
      ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--listen', 'nowhere'],
      '--listen: "nowhere" is not host:port',
    ],
    [['--tls-cert-file', 'c', '--tls-key-file', 'k', '--kubeconfig', 'x', '--in-cluster'], 'not both'],
    [['--tls-cert-file', 'c', '--tls-key-file', 'k', '--proxy-memory', 'much'], 'proxyMemory'],
  ])('exits 2 on bad flags %j', (args, message) => {
    const r = spawnSync(process.execPath, [bin, 'injector', ...args], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('exits 1 with a clear message when the certificate files cannot be read', () => {
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'injector',
        '--listen',
        '127.0.0.1:0',
        '--tls-cert-file',
        join(dir, 'nope.crt'),
        '--tls-key-file',
        join(dir, 'tls.key'),
        '--kubeconfig',
        join(dir, 'kubeconfig'),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read TLS files');
  });

  it('serves reviews over HTTPS until SIGTERM', async () => {
    child = spawn(
      process.execPath,
      [
        bin,
        'injector',
        '--listen',
        '127.0.0.1:0',
        '--tls-cert-file',
        join(dir, 'tls.crt'),
        '--tls-key-file',
        join(dir, 'tls.key'),
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--image',
        'weft:cli',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        // As install/base/injector.yaml sets them.
        env: {
          ...process.env,
          WEFT_POD_NAMESPACE: 'mesh-home',
          WEFT_MESH_CONFIG: join(dir, 'config.yaml'),
          WEFT_TRUST_ANCHORS_FILE: join(dir, 'tls.crt'),
        },
      },
    );
    const proc = child;
    children.push(proc);
    const port = await new Promise<number>((resolve, reject) => {
      let err = '';
      proc.stderr!.on('data', (c) => {
        err += c;
        const m = /serving https:\/\/127\.0\.0\.1:(\d+)\/inject/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const r = await post(
      port,
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u-1',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          namespace: 'shop',
          operation: 'CREATE',
          object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'app' }] } },
        },
      }),
    );
    expect(r.status).toBe(200);
    expect(r.json.response.warnings).toBeUndefined();
    const patch = JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString());
    const proxy = patch[0].value[1];
    expect(proxy.image).toBe('weft:cli');
    expect(proxy.env).toContainEqual({ name: 'WEFT_MTLS_MODE', value: 'strict' });
    expect(proxy.env).toContainEqual({ name: 'WEFT_CA_FILE', value: '/var/run/weft/trust-anchors/ca.crt' });
    const annotations = patch.find((op: { path: string }) => op.path === '/metadata/annotations').value;
    expect(annotations['weft.dev/trust-anchors']).toBe(readFileSync(join(dir, 'tls.crt'), 'utf8'));
    // The injector's own namespace (WEFT_POD_NAMESPACE) is never injected.
    const own = await post(
      port,
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u-2',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          namespace: 'mesh-home',
          operation: 'CREATE',
          object: {
            metadata: { name: 'p', annotations: { 'weft.dev/inject': 'enabled' } },
            spec: { containers: [{ name: 'app', image: 'app' }] },
          },
        },
      }),
    );
    expect(own.json.response.auditAnnotations).toEqual({
      'inject-result': 'skipped',
      'inject-reason': 'system-namespace',
    });
    expect(api.counts.lists).toBeGreaterThanOrEqual(1);
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('hands new pods the trust anchors file as it changes (an anchor rotation)', async () => {
    const { createTrustAnchor, derToPem } = await import('@weft/pki');
    const pem = () =>
      derToPem(
        createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 86_400_000 }).certificate,
        'CERTIFICATE',
      );
    const anchorsFile = join(dir, 'anchors.crt');
    const first = pem();
    writeFileSync(anchorsFile, first);
    const proc = spawn(
      process.execPath,
      [
        bin,
        'injector',
        '--listen',
        '127.0.0.1:0',
        '--tls-cert-file',
        join(dir, 'tls.crt'),
        '--tls-key-file',
        join(dir, 'tls.key'),
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--trust-anchors-file',
        anchorsFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    children.push(proc);
    let err = '';
    const port = await new Promise<number>((resolve, reject) => {
      proc.stderr!.on('data', (c) => {
        err += c;
        const m = /serving https:\/\/127\.0\.0\.1:(\d+)\/inject/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const anchorsOfNewPod = async (): Promise<string> => {
      const r = await post(
        port,
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: 'u-3',
            kind: { group: '', version: 'v1', kind: 'Pod' },
            namespace: 'shop',
            operation: 'CREATE',
            object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'app' }] } },
          },
        }),
      );
      const patch = JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString()) as {
        path: string;
        value: Record<string, string>;
      }[];
      return patch.find((op) => op.path === '/metadata/annotations')?.value['weft.dev/trust-anchors'];
    };
    expect(await anchorsOfNewPod()).toBe(first);
    // Step 1 of a rotation: the bundle gains an anchor; new pods get both within the reload period.
    const both = first + pem();
    writeFileSync(anchorsFile, both);
    await expect.poll(anchorsOfNewPod, { timeout: 30_000, interval: 500 }).toBe(both);
    // A file that does not parse keeps the last good bundle.
    writeFileSync(anchorsFile, 'not pem');
    await expect.poll(() => err, { timeout: 30_000, interval: 500 }).toContain('trust anchors file refused');
    expect(await anchorsOfNewPod()).toBe(both);
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('issues its serving certificate from the weft issuer with --identity-dir', async () => {
    const { createIdentityMaterial, writeIdentityDir } = await import('@weft/pki');
    const identityDir = join(dir, 'identity');
    await writeIdentityDir(
      identityDir,
      createIdentityMaterial({
        trustDomain: 'cluster.local',
        anchorValidityMs: 86_400_000 * 30,
        issuerValidityMs: 86_400_000 * 7,
      }),
    );
    const proc = spawn(
      process.execPath,
      [
        bin,
        'injector',
        '--listen',
        '127.0.0.1:0',
        '--identity-dir',
        identityDir,
        '--dns-name',
        'localhost',
        '--kubeconfig',
        join(dir, 'kubeconfig'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    children.push(proc);
    const port = await new Promise<number>((resolve, reject) => {
      let err = '';
      proc.stderr!.on('data', (c) => {
        err += c;
        const m = /serving https:\/\/127\.0\.0\.1:(\d+)\/inject/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const peer = await new Promise<any>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/healthz',
          ca: readFileSync(join(identityDir, 'ca.crt')),
          servername: 'localhost',
          agent: false,
        },
        (res) => {
          res.resume();
          resolve((res.socket as any).getPeerCertificate());
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(peer.subjectaltname).toContain('DNS:localhost');
    expect(peer.subjectaltname).toContain('URI:spiffe://cluster.local/ns/weft-system/sa/weft-injector');
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
