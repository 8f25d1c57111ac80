// The gateway's installation on a real kube-apiserver, with the upstream Gateway API CRDs (not
// weft's): `weft check` before and after they are applied, `weft install --gateway` accepted by
// the real schemas and by Pod Security "restricted" (no warning), each Service type, and a
// Gateway, HTTPRoute, GRPCRoute and Ingress that name weft's classes.
import { GATEWAY_API_CHECK_NAME } from '@weft/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslIdentityDir, parseYamlStream, runInjectorCertScript } from '../install/fixtures.js';
import { Envtest, envtestAssets, envtestSuiteTitle, type RunResult } from '../support/envtest.js';
import { gatewayApiCrds } from '../support/gateway-api-crds.js';
import { runWeft } from '../support/run-weft.js';

const assets = envtestAssets();
const crds = gatewayApiCrds();
const ready = assets.type === 'ok' && crds.type === 'ok';
const title =
  crds.type === 'ok'
    ? envtestSuiteTitle('weft install --gateway and weft check on a real API server', assets)
    : `weft install --gateway on a real API server — skipped: ${crds.reason}`;
if (crds.type !== 'ok') process.stderr.write(`skipping gateway envtest: ${crds.reason}\n`);

const GATEWAY_API_CRD_NAMES = [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
  'referencegrants',
].map((r) => `${r}.gateway.networking.k8s.io`);

interface CheckJson {
  success: boolean;
  checks: { name: string; status: string; detail?: string; hint?: string }[];
}

describe.skipIf(!ready)(title, () => {
  let env: Envtest;
  let identity: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    if (assets.type !== 'ok') return;
    identity = opensslIdentityDir();
    runInjectorCertScript(identity.dir);
    env = await Envtest.start(assets);
  }, 90_000);
  afterAll(async () => {
    await env?.close();
    identity?.cleanup();
  });

  const ok = (r: RunResult) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };

  async function gatewayCheck(pre = false) {
    const r = await runWeft(
      'check',
      '--kubeconfig',
      env.kubeconfigPath,
      '-o',
      'json',
      ...(pre ? ['--pre'] : []),
    );
    const body = JSON.parse(r.stdout) as CheckJson;
    const found = body.checks.find((c) => c.name === GATEWAY_API_CHECK_NAME);
    if (found === undefined) throw new Error(`no gateway check in ${r.stdout}`);
    return { ...found, code: r.code };
  }

  async function applyGatewayApi(): Promise<void> {
    if (crds.type !== 'ok') throw new Error('unreachable');
    const r = await env.kubectl(['apply', '--server-side', ...crds.files.flatMap((f) => ['-f', f])]);
    ok(r);
    ok(
      await env.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        ...GATEWAY_API_CRD_NAMES.map((n) => `crd/${n}`),
      ]),
    );
  }

  it('weft check --pre warns that the Gateway API CRDs are missing', async () => {
    const r = await gatewayCheck(true);
    expect(r.status).toBe('warn');
    expect(r.hint).toContain('none of the Gateway API CRDs is installed');
  });

  it('weft check reports the upstream bundle version and channel once the CRDs are applied', async () => {
    await applyGatewayApi();
    const r = await gatewayCheck(true);
    expect(r.status).toBe('ok');
    expect(r.detail).toBe('v1.6.1, standard channel');
  });

  it('applies `weft install --gateway | kubectl apply --server-side -f -` with no warning', async () => {
    const install = await runWeft('install', '--identity-dir', identity.dir, '--gateway');
    expect(install.code).toBe(0);
    const r = await env.kubectl(['apply', '--server-side', '-f', '-'], install.stdout);
    // No stderr: Pod Security "restricted" (enforced on weft-system) has nothing to warn about,
    // the unprivileged-port sysctl included.
    ok(r);
    for (const line of [
      'gatewayclass.gateway.networking.k8s.io/weft serverside-applied',
      'ingressclass.networking.k8s.io/weft serverside-applied',
      'deployment.apps/weft-gateway serverside-applied',
      'service/weft-gateway serverside-applied',
      'serviceaccount/weft-gateway serverside-applied',
    ])
      expect(r.stdout).toContain(line);
    const svc = await env.kubectl(['get', 'service', '-n', 'weft-system', 'weft-gateway', '-o', 'json']);
    const service = JSON.parse(svc.stdout);
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    // The API server allocated node ports and a health check port (Local traffic policy).
    for (const p of service.spec.ports) expect(p.nodePort).toBeGreaterThan(0);
    expect(service.spec.healthCheckNodePort).toBeGreaterThan(0);
    const gc = JSON.parse((await env.kubectl(['get', 'gatewayclass', 'weft', '-o', 'json'])).stdout);
    expect(gc.spec.controllerName).toBe('weft.dev/gateway');
    // The same stream again is a conflict-free update.
    ok(await env.kubectl(['apply', '--server-side', '-f', '-'], install.stdout));
  });

  it('(control) Pod Security does warn about a Deployment with a sysctl it does not allow', async () => {
    const r = await env.kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'unsafe-sysctl', namespace: 'weft-system' },
        spec: {
          selector: { matchLabels: { app: 'unsafe' } },
          template: {
            metadata: { labels: { app: 'unsafe' } },
            spec: {
              securityContext: {
                runAsNonRoot: true,
                seccompProfile: { type: 'RuntimeDefault' },
                sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
              },
              containers: [
                {
                  name: 'c',
                  image: 'example',
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'would violate PodSecurity "restricted:latest": forbidden sysctls (net.core.somaxconn)',
    );
  });

  it.each(['NodePort', 'ClusterIP'])(
    '--gateway-service-type %s renders a Service the API server accepts',
    async (type) => {
      const install = await runWeft(
        'install',
        '--identity-dir',
        identity.dir,
        '--gateway',
        '--gateway-service-type',
        type,
      );
      expect(install.code).toBe(0);
      const service = (parseYamlStream(install.stdout, '1.1') as any[]).find(
        (o) => o.kind === 'Service' && o.metadata.name === 'weft-gateway',
      );
      // Under another name, beside the installed one (changing a Service's type in place is not
      // what is tested here).
      service.metadata.name = `weft-gateway-${type.toLowerCase()}`;
      const r = await env.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(service));
      ok(r);
      const applied = JSON.parse(
        (await env.kubectl(['get', 'service', '-n', 'weft-system', service.metadata.name, '-o', 'json']))
          .stdout,
      );
      expect(applied.spec.type).toBe(type);
    },
  );

  it('would refuse externalTrafficPolicy on a ClusterIP Service (why the renderer drops it)', async () => {
    const r = await env.kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'weft-gateway-bad', namespace: 'weft-system' },
        spec: {
          type: 'ClusterIP',
          externalTrafficPolicy: 'Local',
          selector: { app: 'x' },
          ports: [{ port: 80 }],
        },
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('externalTrafficPolicy');
  });

  it("accepts a Gateway, HTTPRoute, GRPCRoute and Ingress on weft's classes", async () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'public', namespace: 'shop' },
        spec: {
          gatewayClassName: 'weft',
          listeners: [
            { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } },
            {
              name: 'https',
              protocol: 'HTTPS',
              port: 443,
              hostname: 'shop.example.com',
              tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'shop-tls' }] },
            },
          ],
        },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          parentRefs: [{ name: 'public' }],
          rules: [
            {
              backendRefs: [
                { name: 'web', port: 80, weight: 90 },
                { name: 'web-v2', port: 80, weight: 10 },
              ],
            },
          ],
        },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GRPCRoute',
        metadata: { name: 'orders', namespace: 'shop' },
        spec: {
          parentRefs: [{ name: 'public', sectionName: 'https' }],
          rules: [
            {
              matches: [{ method: { service: 'shop.Orders', method: 'Get' } }],
              backendRefs: [{ name: 'orders', port: 9090 }],
            },
          ],
        },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'legacy', namespace: 'shop' },
        spec: {
          ingressClassName: 'weft',
          rules: [
            {
              host: 'legacy.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    ];
    ok(
      await env.kubectl(
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      ),
    );
    const gateway = JSON.parse(
      (await env.kubectl(['get', 'gateway', '-n', 'shop', 'public', '-o', 'json'])).stdout,
    );
    expect(gateway.spec.gatewayClassName).toBe('weft');
  });

  it('weft check passes with the gateway installed, and fails once the CRDs are gone', async () => {
    const before = await gatewayCheck();
    expect(before.status).toBe('ok');
    // No controller-manager runs here, so the Deployment never gets a replica: reported.
    const all = JSON.parse(
      (await runWeft('check', '--kubeconfig', env.kubeconfigPath, '-o', 'json')).stdout,
    ) as CheckJson;
    expect(all.checks.find((c) => c.name === 'gateway Deployment is available')?.status).toBe('fail');
    ok(await env.kubectl(['delete', 'crd', ...GATEWAY_API_CRD_NAMES, '--wait=true']));
    const after = await gatewayCheck();
    expect(after.status).toBe('fail');
    expect(after.hint).toContain("weft's gateway is installed");
    expect(after.code).toBe(1);
  });
});
