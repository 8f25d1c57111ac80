// `weft check` against a fake Kubernetes API server holding what `weft install` renders.

import {
  type CheckResult,
  checkCluster,
  GATEWAY_API_CHECK_NAME,
  loadInstallLayout,
  pkiIssuer,
  renderInstall,
} from '@weft/cli/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, FakeCluster, MANIFESTS, meshedPod, NAMESPACE } from './fake-cluster.js';

const layout = loadInstallLayout(MANIFESTS);
let cluster: FakeCluster;

beforeEach(async () => {
  cluster = new FakeCluster();
  await cluster.start();
});
afterEach(async () => {
  await cluster.close();
});

function check(options: { pre?: boolean; now?: number } = {}) {
  return checkCluster({
    kubeConfig: cluster.api.kubeConfig(),
    layout,
    pre: options.pre ?? false,
    timeoutMs: 5000,
    now: () => options.now ?? Date.now(),
  });
}

function byName(results: readonly CheckResult[], name: string): CheckResult {
  const found = results.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no check "${name}" in ${results.map((r) => r.name).join(', ')}`);
  return found;
}

const hintOf = (r: CheckResult) => (r.status === 'ok' ? '' : r.hint);

describe('weft check (Kubernetes)', () => {
  it('passes every check on a healthy installation', async () => {
    cluster.install();
    cluster.installGatewayApi();
    cluster.api.apply(meshedPod('shop', 'web-1', '0.1.0'));
    const results = await check();
    expect(results.map((r) => [r.status, r.name])).toEqual([
      ['ok', 'Kubernetes API is reachable'],
      ['ok', 'Kubernetes version is 1.29 or newer'],
      ['ok', 'CRD trafficsplits.split.smi-spec.io serves v1alpha1, v1alpha2, v1alpha3, v1alpha4'],
      ['ok', 'CRD trafficpolicies.weft.dev serves v1alpha1'],
      ['ok', 'CRD authorizationpolicies.weft.dev serves v1alpha1'],
      ['ok', GATEWAY_API_CHECK_NAME],
      ['ok', 'control plane Deployment is available'],
      ['ok', 'control plane is ready (/readyz)'],
      ['ok', 'injector Deployment is available'],
      ['ok', "webhook caBundle verifies the injector's certificate"],
      ['ok', 'webhook certificate is valid for at least 30 days'],
      ['ok', 'trust anchor is valid for at least 30 days'],
      ['ok', 'issuer certificate is signed by the trust anchor'],
      ['ok', 'issuer certificate is valid for at least 30 days'],
      ['ok', 'trust-anchor rotation'],
      ['ok', "proxies run the control plane's version"],
      ['ok', 'NetworkPolicies let meshed pods reach each other on the proxy port (7143)'],
      ['ok', 'NetworkPolicies let proxies reach the control plane (7443)'],
      ['ok', 'NetworkPolicies let the API server reach the injector webhook (8443)'],
      ['ok', 'NetworkPolicies let meshed pods resolve DNS (53, UDP and TCP)'],
    ]);
    expect(byName(results, 'Kubernetes version is 1.29 or newer').detail).toBe('v1.31.0');
    expect(byName(results, GATEWAY_API_CHECK_NAME).detail).toBe('v1.6.1, standard channel');
    expect(byName(results, "proxies run the control plane's version").detail).toBe('1 proxy at 0.1.0');
  });

  it("checks weft's gateway when it is installed: its Deployment, and the Gateway API CRDs it needs", async () => {
    cluster.install();
    const gateway = renderInstall(
      { manifestsDir: MANIFESTS, ha: false, jaeger: false, gateway: true, identityDir: undefined },
      pkiIssuer,
    ).find((o) => o.kind === 'Deployment' && o.metadata.name === 'weft-gateway');
    if (gateway === undefined) throw new Error('no gateway Deployment rendered');
    cluster.api.apply(cluster.withStatus(gateway));
    // Without the CRDs the gateway has nothing to serve: a failure, not a warning.
    const without = await check();
    expect(byName(without, GATEWAY_API_CHECK_NAME).status).toBe('fail');
    expect(byName(without, 'gateway Deployment is available')).toMatchObject({
      status: 'ok',
      detail: '2/2 replicas available',
    });
    cluster.installGatewayApi('v1.6.1');
    const names = (await check()).map((r) => [r.status, r.name]);
    const at = names.findIndex(([, n]) => n === GATEWAY_API_CHECK_NAME);
    expect(names.slice(at, at + 2)).toEqual([
      ['ok', GATEWAY_API_CHECK_NAME],
      ['ok', 'gateway Deployment is available'],
    ]);
  });

  it('fails a CRD that does not serve every expected version', async () => {
    cluster.install();
    const crd = cluster.withStatus(
      cluster.find('CustomResourceDefinition', 'trafficsplits.split.smi-spec.io'),
    );
    const spec = crd.spec as { versions: { name: string }[] };
    spec.versions = spec.versions.filter((v) => v.name !== 'v1alpha4');
    cluster.api.apply(crd);
    const r = byName(
      await check(),
      'CRD trafficsplits.split.smi-spec.io serves v1alpha1, v1alpha2, v1alpha3, v1alpha4',
    );
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toContain('does not serve v1alpha4 (it serves v1alpha1, v1alpha2, v1alpha3)');
  });

  it('fails a CRD that is not installed', async () => {
    cluster.install();
    cluster.api.remove('apiextensions.k8s.io/v1', 'CustomResourceDefinition', '', 'trafficpolicies.weft.dev');
    const r = byName(await check(), 'CRD trafficpolicies.weft.dev serves v1alpha1');
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toContain('not installed');
  });

  it('fails a webhook certificate that expires within 30 days', async () => {
    cluster.install();
    const short = pkiIssuer.issueServing({
      ca: cluster.ca,
      trustDomain: 'cluster.local',
      identity: 'spiffe://cluster.local/ns/weft-system/sa/weft-injector',
      dnsNames: ['weft-injector.weft-system.svc'],
      lifetimeMs: 10 * DAY_MS,
    });
    const secret = cluster.find('Secret', 'weft-injector-tls');
    secret.data = {
      'tls.crt': Buffer.from(short.chainPem).toString('base64'),
      'tls.key': Buffer.from(short.keyPem).toString('base64'),
    };
    cluster.api.apply(secret);
    const results = await check();
    expect(byName(results, "webhook caBundle verifies the injector's certificate").status).toBe('ok');
    const r = byName(results, 'webhook certificate is valid for at least 30 days');
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toMatch(/expires in (9|10) days/);
  });

  it("fails a webhook whose caBundle is not the injector certificate's CA", async () => {
    cluster.install();
    const other = pkiIssuer.createCa({ trustDomain: 'cluster.local' });
    const webhook = cluster.find('MutatingWebhookConfiguration', 'weft-injector');
    const hooks = webhook.webhooks as { clientConfig: { caBundle: string } }[];
    (hooks[0] as { clientConfig: { caBundle: string } }).clientConfig.caBundle = Buffer.from(
      other.caCrt,
    ).toString('base64');
    cluster.api.apply(webhook);
    const r = byName(await check(), "webhook caBundle verifies the injector's certificate");
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toContain("does not lead to the webhook's caBundle");
  });

  it('fails an issuer that the trust anchor did not sign', async () => {
    cluster.install();
    const other = pkiIssuer.createCa({ trustDomain: 'cluster.local' });
    const secret = cluster.find('Secret', 'weft-issuer');
    (secret.data as Record<string, string>)['tls.crt'] = Buffer.from(other.issuerCrt).toString('base64');
    cluster.api.apply(secret);
    const results = await check();
    const r = byName(results, 'issuer certificate is signed by the trust anchor');
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toContain('the chain does not lead to Secret weft-trust-anchor (signed by another CA)');
    expect(byName(results, 'issuer certificate is valid for at least 30 days').status).toBe('ok');
  });

  it('fails a control plane that is not ready', async () => {
    cluster.install();
    const deployment = cluster.find('Deployment', 'weft-control-plane');
    deployment.status = {
      replicas: 2,
      availableReplicas: 0,
      conditions: [
        { type: 'Available', status: 'False', message: 'Deployment does not have minimum availability.' },
      ],
    };
    cluster.api.apply(deployment);
    cluster.ready = [
      { name: 'kubernetes', ok: false, detail: 'informers not synced' },
      { name: 'grpc', ok: true },
    ];
    const results = await check();
    const available = byName(results, 'control plane Deployment is available');
    expect(available.status).toBe('fail');
    expect(available.detail).toBe('0/2 replicas available');
    expect(hintOf(available)).toContain('Deployment does not have minimum availability.');
    const ready = byName(results, 'control plane is ready (/readyz)');
    expect(ready.status).toBe('fail');
    expect(hintOf(ready)).toContain('HTTP 503');
    expect(hintOf(ready)).toContain('[-] kubernetes: informers not synced');
  });

  it('warns about proxies that run another version, without failing', async () => {
    cluster.install();
    cluster.api.apply(meshedPod('shop', 'web-1', '0.1.0'));
    cluster.api.apply(meshedPod('shop', 'api-1', '0.0.9'));
    const results = await check();
    const r = byName(results, "proxies run the control plane's version");
    expect(r.status).toBe('warn');
    expect(hintOf(r)).toContain('1 of 2 proxies do not run 0.1.0: shop/api-1 runs 0.0.9');
    expect(results.every((x) => x.status !== 'fail')).toBe(true);
  });

  it('shows the rotation step of every replica, read through the pod proxy', async () => {
    cluster.install();
    cluster.rotation = {
      step: 'anchor-added',
      next: 'switch the issuer',
      anchors: [{ fingerprint: 'a1', notAfter: 0, signsIssuer: true }],
      issuer: { fingerprint: 'i1', notAfter: 0 },
      proxies: {
        connected: 2,
        withBundle: 1,
        withCurrentIssuer: 2,
        lagging: [
          {
            namespace: 'shop',
            workload: 'api',
            identity: 'spiffe://cluster.local/ns/shop/sa/api',
            issuer: 'current',
            holdsBundle: false,
          },
        ],
      },
    };
    const r = byName(await check(), 'trust-anchor rotation');
    expect(r.status).toBe('warn');
    expect(hintOf(r)).toContain('1 of 2 proxies do not hold the new bundle yet');
    expect(hintOf(r)).toContain('shop/api (spiffe://cluster.local/ns/shop/sa/api) lacks the bundle in force');
  });

  it('warns when the trust anchor is within 30 days of expiry', async () => {
    cluster.install();
    const anchorNotAfter = new Date(
      new (await import('node:crypto')).X509Certificate(cluster.ca.caCrt).validTo,
    ).getTime();
    const results = await check({ now: anchorNotAfter - 5 * DAY_MS });
    expect(byName(results, 'trust anchor is valid for at least 30 days').status).toBe('warn');
    // By then the issuer (1 year) has long expired.
    const issuer = byName(results, 'issuer certificate is valid for at least 30 days');
    expect(issuer.status).toBe('fail');
    expect(hintOf(issuer)).toContain('expired on');
  });

  it('reports the missing installation on an empty cluster', async () => {
    const results = await check();
    expect(byName(results, 'control plane Deployment is available').status).toBe('fail');
    expect(hintOf(byName(results, 'trust anchor is valid for at least 30 days'))).toContain(
      `Secret ${NAMESPACE}/weft-trust-anchor does not exist`,
    );
    expect(results.filter((r) => r.status === 'ok').map((r) => r.name)).toEqual([
      'Kubernetes API is reachable',
      'Kubernetes version is 1.29 or newer',
      // No NetworkPolicy in an empty cluster blocks anything.
      'NetworkPolicies let meshed pods reach each other on the proxy port (7143)',
      'NetworkPolicies let proxies reach the control plane (7443)',
      'NetworkPolicies let the API server reach the injector webhook (8443)',
      'NetworkPolicies let meshed pods resolve DNS (53, UDP and TCP)',
    ]);
  });

  it('fails a cluster older than 1.29', async () => {
    cluster.api.version = { major: '1', minor: '28+', gitVersion: 'v1.28.9-eks-1' };
    const r = byName(await check({ pre: true }), 'Kubernetes version is 1.29 or newer');
    expect(r.status).toBe('fail');
    expect(hintOf(r)).toContain('v1.28.9-eks-1');
  });

  it('stops after the API check when the API server cannot be reached', async () => {
    const port = cluster.api.port;
    await cluster.api.close();
    const results = await check();
    expect(results).toHaveLength(1);
    expect(results[0]?.status).toBe('fail');
    expect(hintOf(results[0] as CheckResult)).toContain(`127.0.0.1:${port}`);
  });

  describe('--pre', () => {
    it('passes on an empty cluster where every kind may be created', async () => {
      const results = await check({ pre: true });
      expect(results.map((r) => [r.status, r.name])).toEqual([
        ['ok', 'Kubernetes API is reachable'],
        ['ok', 'Kubernetes version is 1.29 or newer'],
        ['ok', `namespace ${NAMESPACE} does not exist yet`],
        ['ok', "no other project's CRDs would be replaced"],
        ['ok', "can create weft's resources"],
        ['warn', GATEWAY_API_CHECK_NAME],
      ]);
    });

    it('fails when a kind may not be created and warns about an existing install and foreign CRDs', async () => {
      cluster.allow = (resource) => resource !== 'mutatingwebhookconfigurations' && resource !== 'secrets';
      cluster.api.apply(cluster.find('Namespace', NAMESPACE));
      const foreign = cluster.find('CustomResourceDefinition', 'trafficsplits.split.smi-spec.io');
      foreign.metadata.labels = { 'app.kubernetes.io/part-of': 'other-mesh' };
      cluster.api.apply(foreign);
      const results = await check({ pre: true });
      expect(byName(results, `namespace ${NAMESPACE} does not exist yet`).status).toBe('warn');
      const crds = byName(results, "no other project's CRDs would be replaced");
      expect(crds.status).toBe('warn');
      expect(hintOf(crds)).toContain('trafficsplits.split.smi-spec.io');
      const access = byName(results, "can create weft's resources");
      expect(access.status).toBe('fail');
      expect(hintOf(access)).toContain(
        'not allowed to create mutatingwebhookconfigurations.admissionregistration.k8s.io, secrets in weft-system',
      );
    });
  });
});
