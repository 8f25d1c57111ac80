// `weft version`, `weft proxy-config`, `weft debug state` against real admin servers; `weft uninstall`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminServer } from '@weft/control-plane';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { main, VERSION } from '../index.js';

async function weft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'weft', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

let controlPlane: AdminServer;
let cpAddress: string;
let proxyAdmin: Server;
let proxyPort: number;

beforeAll(async () => {
  controlPlane = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: () => [],
    debugState: () => ({
      version: 3,
      services: [
        { namespace: 'shop', name: 'api', ports: [{ port: 80, protocol: 'http' }], endpoints: { 80: 2 } },
      ],
    }),
  });
  cpAddress = `127.0.0.1:${await controlPlane.listen()}`;
  proxyAdmin = createServer((req, res) => {
    res.writeHead(req.url === '/config' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        version: '5',
        destinations: { 'api.shop:80': { type: 'does-not-exist', reason: 'unknown' } },
      }),
    );
  });
  proxyAdmin.listen(0, '127.0.0.1');
  await new Promise((resolve) => proxyAdmin.once('listening', resolve));
  proxyPort = (proxyAdmin.address() as AddressInfo).port;
});

afterAll(async () => {
  await controlPlane.close();
  proxyAdmin.close();
});

describe('weft version', () => {
  it('shows the client and the control plane', async () => {
    const r = await weft('version', '--control-plane-admin', cpAddress, '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      client: { version: VERSION, node: process.version },
      controlPlane: { address: `http://${cpAddress}`, version: VERSION },
    });
  });

  it('still answers, with the reason, when no control plane is reachable', async () => {
    const r = await weft('version', '--control-plane-admin', `127.0.0.1:${proxyPort}`, '-o', 'yaml');
    expect(r.code).toBe(0);
    const report = parseYaml(r.stdout);
    expect(report.client.version).toBe(VERSION);
    expect(report.controlPlane.unreachable).toMatch(/HTTP 404/);
  });
});

describe('weft proxy-config and weft debug state', () => {
  it('print tables, or the same data as JSON or YAML', async () => {
    const table = await weft('proxy-config', String(proxyPort));
    expect(table.stdout).toMatch(/api\.shop:80\s+-\s+-\s+-\s+-\s+does not exist: unknown/);
    const yaml = await weft('proxy-config', `127.0.0.1:${proxyPort}`, '-o', 'yaml');
    expect(parseYaml(yaml.stdout).version).toBe('5');
    const state = await weft('debug', 'state', '--control-plane-admin', cpAddress);
    expect(state.stdout).toMatch(/shop\/api\s+80\/http\s+80:2/);
    const json = await weft('debug', 'state', '--control-plane-admin', `http://${cpAddress}`, '-o', 'json');
    expect(JSON.parse(json.stdout).version).toBe(3);
  });

  it('name the address when nothing answers', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const r = await weft('proxy-config', String(port), '--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`weft proxy-config: cannot reach http://127.0.0.1:${port}/config: ECONNREFUSED\n`);
  });
});

describe('weft uninstall', () => {
  it('lists what weft install creates, without any certificate or key', async () => {
    const r = await weft('uninstall');
    expect(r.code).toBe(0);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS());
    const kinds = objects.map((o) => o.kind);
    expect(kinds).toContain('CustomResourceDefinition');
    expect(kinds).toContain('MutatingWebhookConfiguration');
    expect(kinds).toContain('Secret');
    expect(kinds[kinds.length - 1]).toBe('Namespace');
    for (const o of objects) expect(Object.keys(o).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(r.stdout).not.toMatch(/BEGIN/);
  });

  it('prints a JSON List with -o json, which kubectl delete -f takes too', async () => {
    const yaml = parseAllDocuments((await weft('uninstall')).stdout).map((d) => d.toJS());
    const json = JSON.parse((await weft('uninstall', '-o', 'json')).stdout);
    expect(json).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(json.items).toEqual(yaml);
  });
});
