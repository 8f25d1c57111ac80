// `weft install --gateway`: the gateway Deployment runs `weft gateway` as a non-root proxy with
// its own identity (a projected token, as the injector gives sidecars), no API access of its own,
// a Service of the chosen type, the control plane's RBAC for the Gateway API, and the
// GatewayClass/IngressClass `weft`. The same objects through the CLI, and clear usage errors.
import { createProgram } from '@weft/cli';
import { installedObjects, type KubeObject, objectKey, renderInstall } from '@weft/cli/testing';
import { sidecarNodeOptions } from '@weft/core';
import {
  PORTS,
  PROXY_ENV,
  PROXY_UID,
  TOKEN_AUDIENCE,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  TOKEN_MOUNT_PATH,
} from '@weft/injector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWeft } from '../support/run-weft.js';
import { INSTALL_DIR, opensslIdentityDir, parseYamlStream, runInjectorCertScript } from './fixtures.js';
import { get, noIssuer } from './rendered.js';

let identity: { dir: string; cleanup: () => void };
beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
});
afterAll(() => identity.cleanup());

const render = (extra: {
  gateway?: boolean;
  gatewayServiceType?: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
}) =>
  renderInstall(
    { manifestsDir: INSTALL_DIR, ha: false, jaeger: false, identityDir: identity.dir, ...extra },
    noIssuer,
  );

const envOf = (container: any): Record<string, any> =>
  Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('weft install --gateway', () => {
  const GATEWAY_KEYS = [
    'Deployment/weft-system/weft-gateway',
    'GatewayClass//weft',
    'IngressClass//weft',
    'PodDisruptionBudget/weft-system/weft-gateway',
    'Service/weft-system/weft-gateway',
    'ServiceAccount/weft-system/weft-gateway',
  ];

  it('adds exactly the gateway objects, and none without the flag', () => {
    const without = render({}).map(objectKey);
    const withGateway = render({ gateway: true }).map(objectKey);
    for (const key of GATEWAY_KEYS) expect(without).not.toContain(key);
    expect(withGateway.filter((k) => !without.includes(k)).sort()).toEqual(GATEWAY_KEYS);
    expect(without.filter((k) => !withGateway.includes(k))).toEqual([]);
  });

  it('declares the GatewayClass weft for controller weft.dev/gateway, and the IngressClass weft', () => {
    const objects = render({ gateway: true });
    const gc = get(objects, 'GatewayClass', 'weft');
    expect(gc.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gc.metadata.namespace).toBeUndefined();
    expect(gc.spec.controllerName).toBe('weft.dev/gateway');
    // The CRD's limit (the real API server refuses more: test/envtest/gateway.test.ts).
    expect(Buffer.byteLength(gc.spec.description)).toBeLessThanOrEqual(64);
    const ic = get(objects, 'IngressClass', 'weft');
    expect(ic.apiVersion).toBe('networking.k8s.io/v1');
    expect(ic.spec.controller).toBe('weft.dev/gateway');
  });

  it('runs `weft gateway` uninjected, non-root, on 80/443 through the unprivileged-port sysctl', () => {
    const objects = render({ gateway: true });
    const deployment = get(objects, 'Deployment', 'weft-gateway');
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata.annotations['weft.dev/inject']).toBe('disabled');
    expect(pod.containers).toHaveLength(1);
    expect(pod.initContainers).toBeUndefined();
    const [c] = pod.containers;
    expect(c.args).toEqual(['gateway']);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(PROXY_UID);
    expect(pod.securityContext.sysctls).toEqual([
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
    ]);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.hostNetwork ?? false).toBe(false);
    const ports = Object.fromEntries(c.ports.map((p: any) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: 80, https: 443, 'weft-admin': PORTS.admin });
    // Pod Security "restricted" (the namespace enforces it).
    expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
    expect(
      get(objects, 'Namespace', 'weft-system').metadata.labels['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
  });

  it('gets its identity like a sidecar: a projected token (audience weft) and the trust anchor', () => {
    const objects = render({ gateway: true });
    const pod = get(objects, 'Deployment', 'weft-gateway').spec.template.spec;
    const [c] = pod.containers;
    const env = envOf(c);
    expect(env[PROXY_ENV.tokenFile]).toBe(`${TOKEN_MOUNT_PATH}/${TOKEN_FILE_NAME}`);
    expect(env[PROXY_ENV.serviceAccount]).toEqual({ fieldRef: { fieldPath: 'spec.serviceAccountName' } });
    expect(env[PROXY_ENV.namespace]).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env[PROXY_ENV.controlPlane]).toBe(`weft-control-plane.weft-system.svc:${PORTS.controlPlane}`);
    expect(env.WEFT_GATEWAY_CLASS).toBe('weft');
    const tokenMount = c.volumeMounts.find((m: any) => m.mountPath === TOKEN_MOUNT_PATH);
    const tokenVolume = pod.volumes.find((v: any) => v.name === tokenMount.name);
    expect(tokenVolume.projected.sources).toEqual([
      {
        serviceAccountToken: {
          audience: TOKEN_AUDIENCE,
          expirationSeconds: TOKEN_EXPIRATION_SECONDS,
          path: TOKEN_FILE_NAME,
        },
      },
    ]);
    // The CA file is a key of the installed trust anchor Secret.
    const caFile: string = env[PROXY_ENV.caFile];
    const caMount = c.volumeMounts.find((m: any) => caFile.startsWith(`${m.mountPath}/`));
    const caVolume = pod.volumes.find((v: any) => v.name === caMount.name);
    const anchor = get(objects, 'Secret', caVolume.secret.secretName);
    expect(caVolume.secret.secretName).toBe('weft-trust-anchor');
    expect(caVolume.secret.items).toEqual([
      { key: 'ca.crt', path: caFile.slice(caMount.mountPath.length + 1) },
    ]);
    expect(Object.keys(anchor.data)).toContain('ca.crt');
    // Every mount has its volume.
    const volumes = new Set(pod.volumes.map((v: any) => v.name));
    for (const m of c.volumeMounts) expect(volumes.has(m.name), m.name).toBe(true);
  });

  it("sets only variables `weft gateway` reads (each WEFT_* is one of its flags), and the sidecars' NODE_OPTIONS", () => {
    const [c] = get(render({ gateway: true }), 'Deployment', 'weft-gateway').spec.template.spec.containers;
    const gateway = createProgram({ stdout: () => {}, stderr: () => {} }).commands.find(
      (x) => x.name() === 'gateway',
    );
    if (gateway === undefined) throw new Error('weft has no gateway command');
    const flagVariables = new Set(gateway.options.map((o) => o.envVar).filter((v) => v !== undefined));
    for (const e of c.env as { name: string }[]) {
      if (e.name === 'NODE_OPTIONS' || e.name === 'WEFT_LOG_LEVEL') continue;
      expect(flagVariables, e.name).toContain(e.name);
    }
    expect(envOf(c).NODE_OPTIONS).toBe(sidecarNodeOptions());
  });

  it('is ready on its admin port (/ready), served to probes on the pod IP only', () => {
    const pod = get(render({ gateway: true }), 'Deployment', 'weft-gateway').spec.template.spec;
    const [c] = pod.containers;
    for (const probe of [c.startupProbe, c.readinessProbe])
      expect(probe.httpGet).toEqual({ path: '/ready', port: 'weft-admin' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/live', port: 'weft-admin' });
    // It keeps accepting while the endpoint removal spreads, and has time to drain after.
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + 10);
    const env = envOf(c);
    expect(env[PROXY_ENV.adminPort]).toBe(String(PORTS.admin));
    expect(env[PROXY_ENV.adminHost]).toBe('127.0.0.1');
    expect(env[PROXY_ENV.adminProbeHost]).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
  });

  it('gives the gateway no API access: no API token, no binding names its ServiceAccount', () => {
    const objects = render({ gateway: true });
    const sa = get(objects, 'ServiceAccount', 'weft-gateway');
    expect(sa.metadata.namespace).toBe('weft-system');
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = get(objects, 'Deployment', 'weft-gateway').spec.template.spec;
    expect(pod.serviceAccountName).toBe('weft-gateway');
    expect(pod.automountServiceAccountToken).toBe(false);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    for (const b of bindings) {
      for (const s of (b as any).subjects ?? [])
        expect(`${objectKey(b)} -> ${s.name}`).not.toMatch(/weft-gateway$/);
    }
  });

  it('relies on the control plane for the API: it may read the Gateway API, Ingresses and Secrets, and write only status', () => {
    const objects = render({ gateway: true });
    const rules: any[] = get(objects, 'ClusterRole', 'weft-control-plane').rules;
    const verbsOf = (group: string, resource: string) =>
      rules
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs);
    for (const r of ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'])
      expect(verbsOf('gateway.networking.k8s.io', r), r).toEqual(expect.arrayContaining(['list', 'watch']));
    for (const r of ['gatewayclasses/status', 'gateways/status', 'httproutes/status', 'grpcroutes/status'])
      expect(verbsOf('gateway.networking.k8s.io', r), r).toEqual(expect.arrayContaining(['update']));
    expect(verbsOf('networking.k8s.io', 'ingresses')).toEqual(expect.arrayContaining(['list', 'watch']));
    expect(verbsOf('', 'secrets')).toEqual(expect.arrayContaining(['list', 'watch']));
    // Nothing of the Gateway API is created or deleted by weft.
    for (const r of rules.filter((x) => x.apiGroups.includes('gateway.networking.k8s.io')))
      expect(r.verbs.filter((v: string) => ['create', 'delete', '*'].includes(v))).toEqual([]);
  });

  it.each([
    [undefined, 'LoadBalancer', 'Local'],
    ['LoadBalancer', 'LoadBalancer', 'Local'],
    ['NodePort', 'NodePort', 'Local'],
    ['ClusterIP', 'ClusterIP', undefined],
  ] as const)('--gateway-service-type %s: a %s Service, externalTrafficPolicy %s', (flag, type, policy) => {
    const objects = render({ gateway: true, ...(flag === undefined ? {} : { gatewayServiceType: flag }) });
    const service = get(objects, 'Service', 'weft-gateway');
    expect(service.spec.type).toBe(type);
    expect(service.spec.externalTrafficPolicy).toBe(policy);
    const pod = get(objects, 'Deployment', 'weft-gateway').spec.template;
    for (const [k, v] of Object.entries(service.spec.selector)) expect(pod.metadata.labels[k]).toBe(v);
    const named = new Set(pod.spec.containers[0].ports.map((p: any) => p.name));
    expect(service.spec.ports.map((p: any) => [p.port, p.targetPort])).toEqual([
      [80, 'http'],
      [443, 'https'],
    ]);
    for (const p of service.spec.ports) expect(named.has(p.targetPort)).toBe(true);
  });

  it('is listed by weft uninstall --gateway', () => {
    const keys = installedObjects({ manifestsDir: INSTALL_DIR, ha: false, jaeger: false, gateway: true }).map(
      (o) => objectKey(o as KubeObject),
    );
    for (const key of GATEWAY_KEYS) expect(keys).toContain(key);
  });

  it('prints them through the CLI, with the type chosen and a note about the CRDs', async () => {
    const r = await runWeft(
      'install',
      '--identity-dir',
      identity.dir,
      '--gateway',
      '--gateway-service-type',
      'NodePort',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '# weft 0.1.0: generated by weft install --gateway --gateway-service-type NodePort.',
    );
    expect(r.stdout).toContain('Gateway API CRDs');
    const objects = parseYamlStream(r.stdout, '1.1') as KubeObject[];
    expect(get(objects, 'Service', 'weft-gateway').spec.type).toBe('NodePort');
    expect(get(objects, 'GatewayClass', 'weft').spec.controllerName).toBe('weft.dev/gateway');
  });

  it('refuses --gateway-service-type without --gateway, and an unknown type', async () => {
    const alone = await runWeft(
      'install',
      '--identity-dir',
      identity.dir,
      '--gateway-service-type',
      'NodePort',
    );
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--gateway-service-type needs --gateway');
    expect(alone.stdout).toBe('');
    const bad = await runWeft(
      'install',
      '--identity-dir',
      identity.dir,
      '--gateway',
      '--gateway-service-type',
      'External',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Allowed choices are LoadBalancer, NodePort, ClusterIP');
  });
});
