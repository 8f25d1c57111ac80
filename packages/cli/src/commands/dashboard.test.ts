/**
 * `weft dashboard`: the real binary serving a control plane's snapshot; the refusal without a
 * mesh; the non-loopback warning; and the Kubernetes upstream reaching the API server's
 * service-proxy path over real TLS with the kubeconfig's CA and token.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubernetesUpstream } from '@weft/dashboard';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLoopbackCert } from '../../../../test/support/envtest-files.js';
import { exposureWarning, parseDashboardListen } from '../dashboard/launch.js';

const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weft-dashboard-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('weft dashboard', () => {
  it('warns for any listen address but loopback, and refuses a malformed one', () => {
    expect(exposureWarning('127.0.0.1')).toBeUndefined();
    expect(exposureWarning('::1')).toBeUndefined();
    expect(exposureWarning('0.0.0.0')).toMatch(/not loopback/);
    expect(exposureWarning('10.1.2.3')).toMatch(/not loopback/);
    expect(() => parseDashboardListen('7070')).toThrow(/not host:port/);
  });

  it('says how to start a mesh when none is recorded', () => {
    const r = spawnSync(process.execPath, [bin, 'dashboard', '--state-dir', join(dir, 'none')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no local mesh recorded .*weft up/);
  });

  it("serves the control plane's snapshot and the page on the printed loopback URL", async () => {
    const controlPlane = createServer((req, res) => {
      res.writeHead(req.url === '/dashboard/v1/snapshot' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sequence: 7, path: req.url }));
    });
    const cpPort = await listen(controlPlane);
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [bin, 'dashboard', '--listen', '127.0.0.1:0', '--control-plane-admin', `http://127.0.0.1:${cpPort}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child?.once('exit', (code) => reject(new Error(`exited ${code}`)));
        child?.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
      });
      expect(await (await fetch(`${url}api/snapshot`)).json()).toEqual({
        sequence: 7,
        path: '/dashboard/v1/snapshot',
      });
      expect(await (await fetch(url)).text()).toContain('/app.js');
    } finally {
      child?.kill('SIGTERM');
      controlPlane.close();
    }
  });

  it("reaches the control plane through the API server's service proxy with the kubeconfig's CA and token", async () => {
    const { cert, key } = writeLoopbackCert(dir, 'apiserver', 'apiserver');
    const seen: Array<{ url: string | undefined; auth: string | undefined }> = [];
    const api = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"sequence":3}');
    });
    const port = await new Promise<number>((resolve) =>
      api.listen(0, '127.0.0.1', () => resolve((api.address() as AddressInfo).port)),
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${port}", certificate-authority: "${cert}"}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`,
    );
    try {
      const upstream = kubernetesUpstream({ kubeconfig, meshNamespace: 'weft-system' });
      expect(await upstream.get('/dashboard/v1/snapshot')).toEqual({ sequence: 3 });
      expect(seen).toEqual([
        {
          url: '/api/v1/namespaces/weft-system/services/weft-control-plane:admin-http/proxy/dashboard/v1/snapshot',
          auth: 'Bearer secret-token',
        },
      ]);
      // The token never shows in what the dashboard says about where it reads.
      expect(upstream.description).not.toContain('secret-token');
    } finally {
      api.close();
    }
  });
});
