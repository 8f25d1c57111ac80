// `weft dashboard --kubernetes` through a real kube-apiserver 1.32's service proxy, the path a
// cluster user takes: kubeconfig → API server → Service weft-control-plane:admin-http →
// Endpoints → the control plane's admin port. The API server refuses to proxy to loopback, so
// the control plane runs in a network namespace this test creates, joined to the host by a veth
// pair (10.248.N.1 host side, 10.248.N.2 inside); nothing leaves the machine. An API server
// outage gives the dashboard a clear 502 and it keeps serving; after the restart it reads again.
// `weft identity rotate-anchor --kubernetes --status` (and `weft check`'s rotation check) read
// each replica's rotation report the same way, through the pod proxy.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const assets = envtestAssets();
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const netReason = process.getuid?.() !== 0 ? 'not root' : has('ip') ? '' : 'ip (iproute2) missing';
const skip = assets.type !== 'ok' || netReason !== '';
if (assets.type === 'ok' && netReason !== '')
  console.warn(`skipping the dashboard service-proxy test: ${netReason}`);

const NS = `weft-dash-${process.pid}`;
const VETH = `wdh${process.pid % 100_000}`;
const SUBNET = `10.248.${process.pid % 250}`;
const HOST_IP = `${SUBNET}.1`;
const CP_IP = `${SUBNET}.2`;
const ADMIN_PORT = 7990;
const POLL = { timeout: 60_000, interval: 100 };

const children: ChildProcess[] = [];
let nsCreated = false;
let hostVeth = false;
let dir = '';
let env: Envtest | undefined;
let dashboardUrl = '';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Spawns `command`; resolves with the child and the first stdout line matching `ready`. */
function start(command: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    child.stdout!.on('data', (c) => {
      out += c;
      const m = ready.exec(out);
      if (m !== null) resolve({ child, match: m });
    });
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited ${code}: ${err.slice(-2000)}`)));
  });
}

async function getJson(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, dashboardUrl), { signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.text() };
}

describe.skipIf(skip)(
  envtestSuiteTitle('weft dashboard through the API server service proxy', assets),
  () => {
    beforeAll(async () => {
      if (assets.type !== 'ok') return;
      dir = mkdtempSync(join(tmpdir(), 'weft-dash-k8s-'));
      const identity = join(dir, 'identity');
      const config = join(dir, 'config');
      mkdirSync(config);
      execFileSync(process.execPath, [bin, 'identity', 'create-ca', '--identity-dir', identity], {
        stdio: 'ignore',
      });

      ip('netns', 'add', NS);
      nsCreated = true;
      ip('link', 'add', VETH, 'type', 'veth', 'peer', 'name', `${VETH}p`);
      hostVeth = true;
      ip('link', 'set', `${VETH}p`, 'netns', NS);
      ip('addr', 'add', `${HOST_IP}/30`, 'dev', VETH);
      ip('link', 'set', VETH, 'up');
      ip('-n', NS, 'addr', 'add', `${CP_IP}/30`, 'dev', `${VETH}p`);
      ip('-n', NS, 'link', 'set', `${VETH}p`, 'up');
      ip('-n', NS, 'link', 'set', 'lo', 'up');

      // The real control plane, local mode, its admin port on the namespace's address only.
      const cp = start(
        [
          'ip',
          ...['netns', 'exec', NS, process.execPath, bin, 'control-plane'],
          ...['--config-dir', config, '--identity-dir', identity],
          ...['--listen', '127.0.0.1:7443', '--admin-listen', `${CP_IP}:${ADMIN_PORT}`],
        ],
        /listening|ready/i,
      );
      env = await Envtest.start(assets);
      await cp;

      const objects = {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'weft-system' } },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'weft-control-plane', namespace: 'weft-system' },
            spec: { ports: [{ name: 'admin-http', port: ADMIN_PORT, targetPort: ADMIN_PORT }] },
          },
          {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'default', namespace: 'weft-system' },
          },
          // The API server proxies only to an endpoint address that is the IP of the Pod its
          // targetRef names, so the control plane's pod is recorded too (no kubelet runs it here).
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'weft-control-plane-0', namespace: 'weft-system' },
            spec: { containers: [{ name: 'control-plane', image: 'weft:test' }] },
          },
          // No selector and no endpoints controller in envtest: the Endpoints are written here,
          // as the controller would write them for the control plane's pod.
          {
            apiVersion: 'v1',
            kind: 'Endpoints',
            metadata: { name: 'weft-control-plane', namespace: 'weft-system' },
            subsets: [
              {
                addresses: [
                  {
                    ip: CP_IP,
                    targetRef: { kind: 'Pod', namespace: 'weft-system', name: 'weft-control-plane-0' },
                  },
                ],
                ports: [{ name: 'admin-http', port: ADMIN_PORT }],
              },
            ],
          },
        ],
      };
      const applied = await env.kubectl(['apply', '-f', '-'], JSON.stringify(objects));
      if (applied.code !== 0) throw new Error(applied.stderr);
      const status = await env.kubectl([
        ...['-n', 'weft-system', 'patch', 'pod', 'weft-control-plane-0', '--subresource=status'],
        ...['--type=merge', '-p', JSON.stringify({ status: { podIP: CP_IP, podIPs: [{ ip: CP_IP }] } })],
      ]);
      if (status.code !== 0) throw new Error(status.stderr);

      const dash = await start(
        [
          process.execPath,
          bin,
          'dashboard',
          ...['--kubernetes', '--kubeconfig', env.kubeconfigPath, '--listen', '127.0.0.1:0'],
        ],
        /(http:\/\/127\.0\.0\.1:\d+\/)/,
      );
      dashboardUrl = dash.match[1]!;
    }, 120_000);

    afterAll(async () => {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
      }
      await env?.close();
      if (hostVeth) spawnSync('ip', ['link', 'del', VETH]);
      if (nsCreated) ip('netns', 'del', NS);
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('reads the control plane snapshot through the service proxy with the kubeconfig', async () => {
      const info = JSON.parse((await getJson('/api/info')).body) as { mode: string; source: string };
      expect(info.mode).toBe('kubernetes');
      expect(info.source).toContain('/services/weft-control-plane:admin-http/proxy');
      let last = { status: 0, body: '' };
      await expect
        .poll(async () => {
          last = await getJson('/api/snapshot');
          return last.status === 200 ? 200 : `${last.status}: ${last.body}`;
        }, POLL)
        .toBe(200);
      const snapshot = JSON.parse(last.body) as {
        sequence: number;
        mode: string;
        proxies: unknown[];
        controlPlane: { anchorExpiry: number | null; issuerExpiry: number | null };
      };
      // The control plane's own answer (local mode inside the namespace), carried unchanged.
      expect(snapshot.mode).toBe('local');
      expect(snapshot.sequence).toBeGreaterThan(0);
      expect(snapshot.proxies).toEqual([]);
      expect(snapshot.controlPlane.anchorExpiry).toBeGreaterThan(Date.now());
      expect(snapshot.controlPlane.issuerExpiry).toBeGreaterThan(Date.now());
      // No credential of the kubeconfig reaches the page.
      expect(last.body).not.toContain(env!.files.token);
    }, 90_000);

    it("reads every replica's rotation step through the pod proxy, with no port-forward", async () => {
      const identity = join(dir, 'identity');
      for (const [name, files] of [
        ['weft-trust-anchor', [`ca.crt=${join(identity, 'ca.crt')}`]],
        [
          'weft-issuer',
          [
            `tls.crt=${join(identity, 'issuer.crt')}`,
            `tls.key=${join(identity, 'issuer.key')}`,
            `ca.crt=${join(identity, 'ca.crt')}`,
          ],
        ],
      ] as const) {
        const created = await env!.kubectl([
          ...['-n', 'weft-system', 'create', 'secret', 'generic', name],
          ...files.map((f) => `--from-file=${f}`),
        ]);
        if (created.code !== 0) throw new Error(created.stderr);
      }
      const status = spawnSync(
        process.execPath,
        [
          ...[bin, 'identity', 'rotate-anchor', '--kubernetes', '--status'],
          ...['--kubeconfig', env!.kubeconfigPath, '--identity-dir', identity],
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(status.stderr).toBe('');
      expect(status.status).toBe(0);
      expect(status.stdout).toContain('pod weft-system/weft-control-plane-0:');
      expect(status.stdout).toContain('no rotation in progress (one trust anchor)');
      expect(status.stdout).toContain('proxies: 0 connected');
      // The full debug route stays loopback-only: the pod proxy's connection is not loopback.
      const debug = await env!.kubectl([
        'get',
        '--raw',
        `/api/v1/namespaces/weft-system/pods/weft-control-plane-0:${ADMIN_PORT}/proxy/debug/identity`,
      ]);
      expect(debug.code).not.toBe(0);
      expect(debug.stderr).toMatch(/403|Forbidden/i);
    }, 90_000);

    it('answers 502 with the reason while the API server is down, and reads again after it returns', async () => {
      await env!.stopApiServer();
      const down = await getJson('/api/snapshot');
      expect(down.status).toBe(502);
      expect(down.body).toMatch(/127\.0\.0\.1:\d+.*(ECONNREFUSED|connect)/);
      expect(down.body).not.toContain(env!.files.token);
      // The dashboard process is still serving.
      expect((await getJson('/api/info')).status).toBe(200);

      await env!.startApiServer();
      await expect.poll(async () => (await getJson('/api/snapshot')).status, POLL).toBe(200);
    }, 120_000);
  },
);
