import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMeshConfig, meshConfigSchema } from '@weft/api';
import { createProgram, VERSION } from '@weft/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { KubeObject } from '../../packages/cli/src/install/objects.js';
import { objectKey } from '../../packages/cli/src/install/objects.js';
import { renderInstall } from '../../packages/cli/src/install/render-install.js';
import {
  INSTALL_DIR,
  opensslIdentityDir,
  opensslVerify,
  parseYamlStream,
  REPO,
  readText,
  runInjectorCertScript,
  yamlFilesUnder,
} from './fixtures.js';
import { get, noIssuer } from './rendered.js';

let identity: { dir: string; cleanup: () => void };
let objects: KubeObject[];
let ha: KubeObject[];

beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
  objects = renderInstall(
    { manifestsDir: INSTALL_DIR, ha: false, jaeger: false, identityDir: identity.dir },
    noIssuer,
  );
  ha = renderInstall(
    { manifestsDir: INSTALL_DIR, ha: true, jaeger: false, identityDir: identity.dir },
    noIssuer,
  );
});
afterAll(() => identity.cleanup());

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
]);

describe('manifest files', () => {
  const files = [...yamlFilesUnder(join(REPO, 'crds')), ...yamlFilesUnder(INSTALL_DIR)];

  it('exist', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files.map((f) => [f.slice(REPO.length), f]))(
    '%s parses identically in YAML 1.1 and 1.2',
    (_n, file) => {
      const text = readText(file);
      const v12 = parseYamlStream(text, '1.2');
      expect(v12.length).toBeGreaterThan(0);
      expect(parseYamlStream(text, '1.1')).toEqual(v12);
    },
  );
});

describe('the rendered installation', () => {
  it('has every object once, namespaced in weft-system unless cluster-scoped', () => {
    const keys = objects.map(objectKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects) {
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, objectKey(o)).toBeUndefined();
      else expect(o.metadata.namespace, objectKey(o)).toBe('weft-system');
    }
    expect(keys).toEqual(
      expect.arrayContaining([
        'Namespace//weft-system',
        'ConfigMap/weft-system/weft-mesh-config',
        'Secret/weft-system/weft-trust-anchor',
        'Secret/weft-system/weft-issuer',
        'Secret/weft-system/weft-injector-tls',
        'Deployment/weft-system/weft-control-plane',
        'Deployment/weft-system/weft-injector',
        'PodDisruptionBudget/weft-system/weft-control-plane',
        'PodDisruptionBudget/weft-system/weft-injector',
        'MutatingWebhookConfiguration//weft-injector',
      ]),
    );
  });

  it('runs the control plane on the documented ports with probes on the admin port', () => {
    const c = get(objects, 'Deployment', 'weft-control-plane').spec.template.spec.containers[0];
    const ports = Object.fromEntries(c.ports.map((p: any) => [p.name, p.containerPort]));
    expect(ports).toEqual({ grpc: 7443, 'admin-http': 7990 });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin-http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin-http' });
    const svc = get(objects, 'Service', 'weft-control-plane');
    expect(svc.spec.ports.map((p: any) => [p.port, p.targetPort])).toEqual([
      [7443, 'grpc'],
      [7990, 'admin-http'],
    ]);
  });

  it.each(['weft-control-plane', 'weft-injector'])(
    '%s: 2 replicas, a PDB, anti-affinity, resources, restricted security',
    (name) => {
      const d = get(objects, 'Deployment', name);
      expect(d.spec.replicas).toBe(2);
      const labels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
      const pdb = get(objects, 'PodDisruptionBudget', name);
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
      const anti =
        d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
      expect(anti.podAffinityTerm.labelSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 7102,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(d.spec.template.metadata.annotations['weft.dev/inject']).toBe('disabled');
      for (const c of pod.containers) {
        expect(c.image).toBe(`ghcr.io/weft-mesh/weft:${VERSION}`);
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
        expect(c.livenessProbe).toBeDefined();
        expect(c.readinessProbe).toBeDefined();
        const volumes = new Set(pod.volumes.map((v: any) => v.name));
        for (const m of c.volumeMounts) expect(volumes.has(m.name), m.name).toBe(true);
      }
      expect(get(objects, 'ServiceAccount', pod.serviceAccountName)).toBeDefined();
    },
  );

  it('every pod in weft-system (addons included, when present) passes Pod Security "restricted"', () => {
    const ns = get(objects, 'Namespace', 'weft-system');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const withAddons = existsSync(join(INSTALL_DIR, 'addons', 'jaeger.yaml'))
      ? renderInstall(
          { manifestsDir: INSTALL_DIR, ha: false, jaeger: true, identityDir: identity.dir },
          noIssuer,
        )
      : objects;
    const pods = withAddons
      .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
      .map((o) => [objectKey(o), (o as Record<string, any>).spec.template.spec] as const);
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const [key, pod] of pods) {
      expect(pod.hostNetwork ?? false, key).toBe(false);
      expect(pod.securityContext?.runAsNonRoot, key).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type, key).toBe('RuntimeDefault');
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext?.allowPrivilegeEscalation, `${key} ${c.name}`).toBe(false);
        expect(c.securityContext?.capabilities?.drop, `${key} ${c.name}`).toEqual(['ALL']);
        expect(c.securityContext?.capabilities?.add ?? [], `${key} ${c.name}`).toEqual([]);
        expect(c.securityContext?.privileged ?? false, `${key} ${c.name}`).toBe(false);
      }
      for (const v of pod.volumes ?? []) expect(v.hostPath, `${key} ${v.name}`).toBeUndefined();
    }
  });

  it('mounts only Secret keys and ConfigMaps that exist in the installation', () => {
    for (const name of ['weft-control-plane', 'weft-injector']) {
      for (const v of get(objects, 'Deployment', name).spec.template.spec.volumes) {
        const secrets = [
          ...(v.secret ? [v.secret] : []),
          ...(v.projected?.sources ?? []).map((s: any) => s.secret).filter(Boolean),
        ];
        for (const s of secrets) {
          const secret = get(objects, 'Secret', s.secretName ?? s.name);
          for (const item of s.items ?? [])
            expect(Object.keys(secret.data), `${name} ${item.key}`).toContain(item.key);
        }
        if (v.configMap) expect(get(objects, 'ConfigMap', v.configMap.name)).toBeDefined();
      }
    }
  });

  it('hands the trust anchor to the injector, which passes it to every proxy', () => {
    const pod = get(objects, 'Deployment', 'weft-injector').spec.template.spec;
    const args: string[] = pod.containers[0].args;
    const file = args[args.indexOf('--trust-anchors-file') + 1] as string;
    const mount = pod.containers[0].volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe('weft-trust-anchor');
    expect(volume.secret.items).toEqual([{ key: 'ca.crt', path: file.slice(mount.mountPath.length + 1) }]);
    // The control plane's identity folder holds the same anchor.
    const cp = get(objects, 'Deployment', 'weft-control-plane').spec.template.spec;
    const sources = cp.volumes.find((v: any) => v.name === 'identity').projected.sources;
    expect(sources[0].secret).toEqual({
      name: 'weft-trust-anchor',
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });
  });

  it('gives the control plane exactly the documented permissions', () => {
    const rules = get(objects, 'ClusterRole', 'weft-control-plane').rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[];
    const grants = new Set(
      rules.flatMap((r) =>
        r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
      ),
    );
    const read = (g: string, r: string) => ['get', 'list', 'watch'].map((v) => `${g}/${r}:${v}`);
    expect([...grants].sort()).toEqual(
      [
        ...read('', 'namespaces'),
        ...read('', 'pods'),
        ...read('', 'services'),
        ...read('discovery.k8s.io', 'endpointslices'),
        ...read('split.smi-spec.io', 'trafficsplits'),
        ...read('gateway.networking.k8s.io', 'httproutes'),
        ...read('gateway.networking.k8s.io', 'grpcroutes'),
        ...read('gateway.networking.k8s.io', 'gateways'),
        ...read('gateway.networking.k8s.io', 'gatewayclasses'),
        ...read('gateway.networking.k8s.io', 'referencegrants'),
        ...read('networking.k8s.io', 'ingresses'),
        // TLS Secrets for the gateway's listeners (type kubernetes.io/tls by field selector).
        '/secrets:list',
        '/secrets:watch',
        ...read('weft.dev', 'trafficpolicies'),
        ...read('weft.dev', 'authorizationpolicies'),
        'split.smi-spec.io/trafficsplits/status:update',
        'split.smi-spec.io/trafficsplits/status:patch',
        'gateway.networking.k8s.io/httproutes/status:update',
        'gateway.networking.k8s.io/httproutes/status:patch',
        ...['grpcroutes', 'gateways', 'gatewayclasses'].flatMap((r) => [
          `gateway.networking.k8s.io/${r}/status:update`,
          `gateway.networking.k8s.io/${r}/status:patch`,
        ]),
        'weft.dev/trafficpolicies/status:update',
        'weft.dev/trafficpolicies/status:patch',
        'weft.dev/authorizationpolicies/status:update',
        'weft.dev/authorizationpolicies/status:patch',
        'authentication.k8s.io/tokenreviews:create',
        '/events:create',
        'events.k8s.io/events:create',
      ].sort(),
    );
    // Leader election: the one Lease, in weft-system only.
    expect(get(objects, 'Role', 'weft-control-plane-leader-election').rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['weft-control-plane'],
        verbs: ['get', 'update'],
      },
    ]);
    expect(get(objects, 'RoleBinding', 'weft-control-plane-leader-election').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'weft-control-plane', namespace: 'weft-system' },
    ]);
    const injector = get(objects, 'ClusterRole', 'weft-injector').rules;
    expect(injector).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    for (const name of ['weft-control-plane', 'weft-injector']) {
      const binding = get(objects, 'ClusterRoleBinding', name);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: 'weft-system' }]);
    }
  });

  it('configures the webhook as documented and points it at the injector', () => {
    const hooks = get(objects, 'MutatingWebhookConfiguration', 'weft-injector').webhooks;
    expect(hooks).toHaveLength(1);
    const h = hooks[0];
    expect(h).toMatchObject({
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      sideEffects: 'None',
      reinvocationPolicy: 'IfNeeded',
      matchPolicy: 'Equivalent',
      admissionReviewVersions: ['v1', 'v1beta1'],
      rules: [
        {
          operations: ['CREATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods'],
          scope: 'Namespaced',
        },
      ],
    });
    expect(h.namespaceSelector.matchExpressions[0]).toMatchObject({
      key: 'kubernetes.io/metadata.name',
      operator: 'NotIn',
    });
    expect(h.namespaceSelector.matchExpressions[0].values).toEqual(
      expect.arrayContaining(['kube-system', 'weft-system']),
    );
    expect(h.objectSelector.matchExpressions).toEqual([
      { key: 'weft.dev/inject', operator: 'NotIn', values: ['disabled'] },
    ]);
    expect(h.clientConfig.service).toEqual({
      name: 'weft-injector',
      namespace: 'weft-system',
      path: '/inject',
      port: 443,
    });
    const svc = get(objects, 'Service', 'weft-injector');
    const port = svc.spec.ports.find((p: any) => p.port === 443);
    const container = get(objects, 'Deployment', 'weft-injector').spec.template.spec.containers[0];
    expect(container.ports.find((p: any) => p.name === port.targetPort).containerPort).toBe(8443);
    // The API server verifies the injector's chain with the trust anchor.
    const ca = Buffer.from(get(objects, 'Secret', 'weft-trust-anchor').data['ca.crt'], 'base64').toString();
    expect(Buffer.from(h.clientConfig.caBundle, 'base64').toString()).toBe(ca);
    const tls = get(objects, 'Secret', 'weft-injector-tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    const verify = opensslVerify(ca, Buffer.from(tls.data['tls.crt'], 'base64').toString());
    expect(verify.output).toContain('OK');
    expect(verify.ok).toBe(true);
  });

  it('ships a mesh config that weft parses, with every default spelled out', () => {
    const text = get(objects, 'ConfigMap', 'weft-mesh-config').data['config.yaml'];
    const parsed = meshConfigSchema.parse(parseDocument(text).toJS());
    expect(parsed).toEqual(defaultMeshConfig());
    expect(Object.keys(parseDocument(text).toJS()).sort()).toEqual(Object.keys(defaultMeshConfig()).sort());
  });

  it('passes container arguments that the weft CLI accepts', () => {
    const program = createProgram({ stdout: () => {}, stderr: () => {} });
    let checked = 0;
    for (const name of ['weft-control-plane', 'weft-injector']) {
      for (const c of get(objects, 'Deployment', name).spec.template.spec.containers) {
        const [sub, ...args] = c.args as string[];
        const command = program.commands.find((x) => x.name() === sub);
        expect(command, `weft ${sub}`).toBeDefined();
        if (command === undefined) continue;
        const known = new Set(command.options.map((o) => o.long));
        for (const a of args.filter((x) => x.startsWith('--')))
          expect(known.has(a.split('=')[0]), `${sub} ${a}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(2);
  });

  it('the HA profile has 3 replicas spread over nodes, larger requests and a webhook that fails closed', () => {
    for (const name of ['weft-control-plane', 'weft-injector']) {
      const d = get(ha, 'Deployment', name);
      expect(d.spec.replicas).toBe(3);
      const anti = d.spec.template.spec.affinity.podAntiAffinity;
      expect(anti.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
      expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        {
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
        },
      ]);
    }
    const cp = get(ha, 'Deployment', 'weft-control-plane').spec.template.spec.containers[0];
    expect(cp.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(cp.env.find((e: any) => e.name === 'NODE_OPTIONS').value).toBe('--max-old-space-size=768');
    expect(get(ha, 'MutatingWebhookConfiguration', 'weft-injector').webhooks[0].failurePolicy).toBe('Fail');
    expect(ha.map(objectKey).sort()).toEqual(objects.map(objectKey).sort());
  });
});
