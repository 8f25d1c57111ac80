/**
 * `startGateway` as `weft up --demo` uses it: a real control plane over a folder, a real
 * `weft gateway` with a join token for weft-system/weft-gateway. With a Gateway in the folder the
 * listener is bound and serves (a 500 here: the route's Service has no endpoint); without one, a
 * required gateway fails naming why, and an optional one resolves without a port.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@weft/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { type ControlPlaneChild, ensureIdentity, startControlPlane, startGateway } from './local-mesh.js';
import { Supervisor } from './supervisor.js';

const log = createLogger({ component: 'test', level: 'silent' });

async function mesh(dir: string, manifests: string) {
  const config = join(dir, 'config');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'mesh.yaml'), manifests);
  const identityDir = await ensureIdentity(dir);
  const supervisor = new Supervisor(log, () => {});
  const controlPlane: ControlPlaneChild = await startControlPlane(
    supervisor,
    { configDir: config, identityDir },
    log,
  );
  return { supervisor, mesh: { controlPlane, identityDir, tokensDir: join(dir, 'tokens') } };
}

const SERVICE =
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: demo}\nspec:\n  ports: [{port: 80}]\n';
const GATEWAY = `---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: weft}
spec: {controllerName: weft.dev/gateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: demo, namespace: demo}
spec:
  gatewayClassName: weft
  listeners:
  - {name: http, protocol: HTTP, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: demo}
spec:
  parentRefs: [{name: demo}]
  rules:
  - backendRefs: [{name: web, port: 80}]
`;

describe('startGateway', () => {
  const dirs: string[] = [];
  const supervisors: Supervisor[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'weft-gateway-child-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    await Promise.all(supervisors.map((s) => s.stopAll(3000)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('binds the Gateway listener on a local port once the control plane pushes it', async () => {
    const m = await mesh(scratch(), SERVICE + GATEWAY);
    supervisors.push(m.supervisor);
    const gateway = await startGateway(
      m.supervisor,
      { listenerPort: 80, bindPort: 0, required: true },
      m.mesh,
      log,
    );
    expect(gateway.port).toBeGreaterThan(0);
    const config = (await (await fetch(`http://127.0.0.1:${gateway.adminPort}/config`)).json()) as {
      gateway: { source: string; boundPorts: Record<string, number> };
    };
    expect(config.gateway.boundPorts).toEqual({ 80: gateway.port });
    // The route is served: web has no endpoint, so the mesh answers it, not a refused connection.
    const res = await fetch(`http://127.0.0.1:${gateway.port}/`);
    expect(res.status).toBeGreaterThanOrEqual(500);
  }, 60_000);

  it('without a Gateway in the folder: fails when required, resolves without a port when optional', async () => {
    const m = await mesh(scratch(), SERVICE);
    supervisors.push(m.supervisor);
    await expect(
      startGateway(
        m.supervisor,
        { listenerPort: 80, bindPort: 0, required: true, configTimeoutMs: 1500 },
        m.mesh,
        log,
        'gateway-required',
      ),
    ).rejects.toThrow('the gateway did not serve listener port 80 within 1.5s');
    const optional = await startGateway(
      m.supervisor,
      { listenerPort: 80, bindPort: 0, required: false, configTimeoutMs: 1500 },
      m.mesh,
      log,
      'gateway-optional',
    );
    expect(optional.port).toBeUndefined();
    expect(optional.problem).toContain('did not serve listener port 80');
  }, 60_000);
});
