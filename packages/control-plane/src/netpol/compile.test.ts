import type { AuthorizationPolicyResource, PodResource } from '@weft/api';
import { defaultMeshConfig } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { compileNetworkPolicies, type NetpolInputs } from './compile.js';
import { NOTES_ANNOTATION } from './labels.js';

function pod(
  namespace: string,
  name: string,
  sa: string,
  extra: Partial<PodResource['spec']> = {},
  phase = 'Running',
): PodResource {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: name, 'weft.dev/service-account': sa },
      annotations: { 'weft.dev/injected-version': '0.1.0' },
    },
    spec: {
      serviceAccountName: sa,
      containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }],
      ...extra,
    },
    status: { phase },
  } as PodResource;
}

function inputs(
  pods: PodResource[],
  policies: AuthorizationPolicyResource[] = [],
  scope?: string[],
): NetpolInputs {
  return {
    mesh: { ...defaultMeshConfig(), mtls: 'strict' },
    namespaces: [],
    pods,
    services: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: 'shop' },
        spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
      },
    ],
    policies,
    controlPlaneNamespace: 'weft-system',
    ...(scope === undefined ? {} : { scope }),
  };
}

function allow(from: AuthorizationPolicyResource['spec']['from']): AuthorizationPolicyResource {
  return {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'api-in', namespace: 'shop' },
    spec: { targetRef: { kind: 'Service', name: 'api' }, action: 'Allow', from, to: [] },
  };
}

describe('compileNetworkPolicies', () => {
  it('skips finished and host-network pods, and honours the scope', () => {
    const out = compileNetworkPolicies(
      inputs(
        [
          pod('shop', 'api', 'api'),
          pod('shop', 'done', 'batch', {}, 'Succeeded'),
          pod('shop', 'node-agent', 'agent', { hostNetwork: true } as never),
          pod('other', 'web', 'web'),
        ],
        [],
        ['shop'],
      ),
    );
    expect(out.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      expect.stringMatching(/^shop\/weft-api-[0-9a-f]{8}$/),
    ]);
  });

  it('never allows an identity it cannot select, and says so', () => {
    const long = `sa-${'x'.repeat(70)}`;
    const out = compileNetworkPolicies(
      inputs(
        [pod('shop', 'api', 'api')],
        [
          allow([
            {
              identities: [
                `spiffe://cluster.local/ns/shop/sa/${long}`,
                'spiffe://elsewhere.example/ns/shop/sa/web',
              ],
            },
          ]),
        ],
      ),
    );
    const [policy] = out.policies.filter((p) => p.metadata.namespace === 'shop');
    // Only the admin port: no peer is left for the inbound port.
    expect(policy?.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 7191 }] }]);
    expect(policy?.metadata.annotations?.[NOTES_ANNOTATION]).toContain(
      'cannot be a label value; not allowed at L4',
    );
    expect(policy?.metadata.annotations?.[NOTES_ANNOTATION]).toContain(
      'is not a ServiceAccount of trust domain cluster.local',
    );
  });

  it('names generated objects stably: the same selector, the same name', () => {
    const a = compileNetworkPolicies(inputs([pod('shop', 'api', 'api')]));
    const b = compileNetworkPolicies(
      inputs([
        pod('shop', 'api', 'api'),
        { ...pod('shop', 'api', 'api'), metadata: { ...pod('shop', 'api', 'api').metadata, name: 'api-2' } },
      ]),
    );
    expect(b.policies.map((p) => p.metadata.name)).toEqual(a.policies.map((p) => p.metadata.name));
  });
});
