// The CRDs in crds/: structural, as the API server demands; versions, subresources and printer
// columns as documented; field for field the same as the zod schemas weft parses them with;
// and their validation (OpenAPI + CEL) accepting what Flagger writes and rejecting bad input.
import { authorizationPolicySchema, trafficPolicySchema, trafficSplitSchema } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Crd, loadCrds, validateResource } from './crd-validator.js';
import { structuralViolations } from './structural.js';
import { parityProblems } from './zod-parity.js';

const crds = loadCrds();
const byKind = (kind: string): Crd => {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  if (crd === undefined) throw new Error(`no CRD for ${kind}`);
  return crd;
};

const ZOD: Record<string, z.ZodType> = {
  TrafficSplit: trafficSplitSchema,
  TrafficPolicy: trafficPolicySchema,
  AuthorizationPolicy: authorizationPolicySchema,
};

describe('CRDs', () => {
  it('are the three weft reads, one per file', () => {
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'authorizationpolicies.weft.dev',
      'trafficpolicies.weft.dev',
      'trafficsplits.split.smi-spec.io',
    ]);
    for (const c of crds) expect(c.file).toBe(`${c.metadata.name}.yaml`);
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s is well-formed', (_name, crd) => {
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.listKind).toBe(`${crd.spec.names.kind}List`);
    expect(crd.spec.names.singular).toBe(crd.spec.names.kind.toLowerCase());
    expect(crd.spec.versions.filter((v) => v.storage)).toHaveLength(1);
    for (const v of crd.spec.versions) {
      expect(v.subresources?.status, `${v.name} status subresource`).toEqual({});
      const columns = v.additionalPrinterColumns ?? [];
      expect(columns.map((c) => c.name)).toContain('Age');
      expect(columns.map((c) => c.name)).toContain('Accepted');
      for (const c of columns) expect(c.jsonPath.startsWith('.')).toBe(true);
      expect(v.schema.openAPIV3Schema.properties).toHaveProperty('status');
    }
  });

  it.each(
    crds.flatMap((c) =>
      c.spec.versions.map((v) => [`${c.metadata.name} ${v.name}`, v.schema.openAPIV3Schema] as const),
    ),
  )('%s has a structural schema', (_name, schema) => {
    expect(structuralViolations(schema)).toEqual([]);
  });

  it('TrafficSplit serves v1alpha1 to v1alpha4 without conversion and stores v1alpha2', () => {
    const ts = byKind('TrafficSplit');
    expect(ts.spec.group).toBe('split.smi-spec.io');
    expect(ts.spec.conversion).toEqual({ strategy: 'None' });
    expect(ts.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1alpha1', true, false],
      ['v1alpha2', true, true],
      ['v1alpha3', true, false],
      ['v1alpha4', true, false],
    ]);
  });

  it.each(
    crds.flatMap((c) =>
      c.spec.versions.map((v) => [`${c.spec.names.kind} ${v.name}`, c.spec.names.kind, v] as const),
    ),
  )('%s names the same fields as the zod schema', (_name, kind, version) => {
    const zod = ZOD[kind] as z.ZodType;
    const problems = parityProblems(version.schema.openAPIV3Schema, zod, '', [
      '.metadata',
      '.apiVersion',
      '.kind',
    ]);
    // The matches of v1alpha1 do not exist in that version of SMI; zod accepts them in any version.
    const expected =
      kind === 'TrafficSplit' && version.name === 'v1alpha1'
        ? ['.spec: field "matches" is in zod but not in the CRD']
        : [];
    expect(problems).toEqual(expected);
  });

  it('the parity check catches a renamed field, a lost enum value and a wrong type', () => {
    const tp = structuredClone(byKind('TrafficPolicy').spec.versions[0]?.schema.openAPIV3Schema) as Record<
      string,
      any
    >;
    const spec = tp.properties.spec.properties;
    spec.timeouts.properties.perTryTimeout = spec.timeouts.properties.perTry;
    delete spec.timeouts.properties.perTry;
    spec.loadBalancer.properties.type.enum = ['PeakEWMA', 'RoundRobin'];
    spec.retry.properties.attempts.type = 'number';
    spec.targetRef.required = ['kind'];
    expect(parityProblems(tp, trafficPolicySchema, '', ['.metadata', '.apiVersion', '.kind']).sort()).toEqual(
      [
        '.spec.loadBalancer.type: enum ["LeastRequest","PeakEWMA","RoundRobin"] in zod, ["PeakEWMA","RoundRobin"] in the CRD',
        '.spec.retry.attempts: zod has an integer, the CRD has number',
        '.spec.targetRef.name: zod requires it, the CRD does not',
        '.spec.timeouts: field "perTry" is in zod but not in the CRD',
        '.spec.timeouts: field "perTryTimeout" is in the CRD but zod rejects it',
      ],
    );
  });

  it('the structural checker catches what the API server rejects', () => {
    const bad = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            untyped: { description: 'no type' },
            list: { type: 'array' },
            both: {
              type: 'object',
              properties: { a: { type: 'string' } },
              additionalProperties: { type: 'string' },
            },
            look: { type: 'string', pattern: '^(?=a)a$' },
            uniq: { type: 'array', items: { type: 'string' }, uniqueItems: true },
            typo: { type: 'string', minLenght: 1 },
          },
        },
      },
    };
    const v = structuralViolations(bad);
    expect(v).toEqual(
      expect.arrayContaining([
        '.spec.untyped: type is missing',
        '.spec.list: an array needs items',
        '.spec.both: properties and additionalProperties are mutually exclusive',
        '.spec.look: pattern ^(?=a)a$ uses lookaround or backreferences (not RE2)',
        '.spec.uniq: uniqueItems: true is forbidden (use x-kubernetes-list-type: set)',
        '.spec.typo: keyword "minLenght" is not allowed in a CRD schema',
      ]),
    );
  });
});

const flaggerV1alpha2 = {
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  metadata: {
    name: 'podinfo',
    namespace: 'test',
    ownerReferences: [
      {
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        name: 'podinfo',
        uid: 'u',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    service: 'podinfo',
    backends: [{ service: 'podinfo-canary' }, { service: 'podinfo-primary', weight: 100 }],
  },
};

function split(version: string, spec: unknown) {
  return {
    apiVersion: `split.smi-spec.io/${version}`,
    kind: 'TrafficSplit',
    metadata: { name: 's', namespace: 'n' },
    spec,
  };
}

describe('CRD validation', () => {
  it('accepts TrafficSplit v1alpha2 exactly as Flagger writes it (zero weight omitted)', () => {
    expect(validateResource(flaggerV1alpha2)).toEqual([]);
    expect(trafficSplitSchema.parse(flaggerV1alpha2).spec.backends.map((b) => b.weight)).toEqual([0, 100]);
  });

  it('accepts every version in its own weight type', () => {
    const quantity = split('v1alpha1', {
      service: 'web',
      backends: [
        { service: 'web-v1', weight: '900m' },
        { service: 'web-v2', weight: 100 },
      ],
    });
    expect(validateResource(quantity)).toEqual([]);
    for (const v of ['v1alpha2', 'v1alpha3', 'v1alpha4']) {
      const s = split(v, {
        service: 'web',
        backends: [
          { service: 'web-v1', weight: 90 },
          { service: 'web-v2', weight: 10 },
        ],
        matches: [{ kind: 'HTTPRouteGroup', name: 'web-routes' }],
      });
      expect(validateResource(s), v).toEqual([]);
    }
  });

  it('rejects negative weights, no backends, duplicates, and unknown fields', () => {
    const neg = validateResource(
      split('v1alpha4', { service: 'a', backends: [{ service: 'b', weight: -1 }] }),
    );
    expect(neg.join('\n')).toMatch(/weight/);
    const negQuantity = validateResource(
      split('v1alpha1', { service: 'a', backends: [{ service: 'b', weight: '-5' }] }),
    );
    expect(negQuantity.join('\n')).toContain('/spec/backends/0/weight must match pattern');
    const negV1 = validateResource(
      split('v1alpha1', { service: 'a', backends: [{ service: 'b', weight: -5 }] }),
    );
    expect(negV1.join('\n')).toContain('/spec/backends/0/weight must be >= 0');
    const none = validateResource(split('v1alpha2', { service: 'a', backends: [] }));
    expect(none.join('\n')).toContain('at least one backend is required');
    const dup = validateResource(
      split('v1alpha2', {
        service: 'a',
        backends: [
          { service: 'b', weight: 1 },
          { service: 'b', weight: 2 },
        ],
      }),
    );
    expect(dup.join('\n')).toContain('each backend service may appear only once');
    const unknown = validateResource(
      split('v1alpha2', { service: 'a', backends: [{ service: 'b', wieght: 1 }] }),
    );
    expect(unknown.join('\n')).toContain('must NOT have additional properties');
    const noVersion = validateResource(split('v1beta1', { service: 'a', backends: [{ service: 'b' }] }));
    expect(noVersion).toEqual(['no served CRD version for split.smi-spec.io/v1beta1 TrafficSplit']);
  });

  it('rejects bad TrafficPolicy durations, conditions and targets', () => {
    const base = {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'TrafficPolicy',
      metadata: { name: 'p', namespace: 'n' },
    };
    const ok = {
      ...base,
      spec: {
        targetRef: { kind: 'Service', name: 'api' },
        timeouts: { request: '1h30m' },
        retry: { on: ['5xx', '503', 'grpc:unavailable'] },
      },
    };
    expect(validateResource(ok)).toEqual([]);
    expect(
      validateResource({
        ...base,
        spec: { targetRef: { kind: 'Service', name: 'api' }, timeouts: { request: '10 s' } },
      }).join(),
    ).toContain('pattern');
    expect(
      validateResource({
        ...base,
        spec: { targetRef: { kind: 'Service', name: 'api' }, retry: { on: ['sometimes'] } },
      }).join(),
    ).toContain('pattern');
    expect(
      validateResource({ ...base, spec: { targetRef: { kind: 'Deployment', name: 'api' } } }).join(),
    ).toContain('allowed values');
    expect(
      validateResource({
        ...base,
        spec: { targetRef: { kind: 'Service', name: 'api' }, retry: { attempts: 11 } },
      }).join(),
    ).toContain('<= 10');
  });

  it('rejects an AuthorizationPolicy entry that would match everything by accident', () => {
    const base = {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'p', namespace: 'n' },
    };
    const target = { kind: 'Service', name: 'api' };
    expect(validateResource({ ...base, spec: { targetRef: target, from: [{}] } }).join()).toContain(
      'a from entry must set',
    );
    expect(validateResource({ ...base, spec: { targetRef: target, to: [{}] } }).join()).toContain(
      'a to entry must set',
    );
    expect(
      validateResource({ ...base, spec: { targetRef: target, from: [{ identities: ['web'] }] } }).join(),
    ).toContain('pattern');
    expect(
      validateResource({
        ...base,
        spec: { targetRef: target, action: 'Deny', from: [{ namespaces: ['evil'] }] },
      }),
    ).toEqual([]);
  });
});

describe('status', () => {
  it('accepts the condition the control plane writes and rejects a malformed one', () => {
    const condition = {
      type: 'Accepted',
      status: 'False',
      reason: 'TargetNotFound',
      message: 'spec.targetRef.name: Service shop/api does not exist',
      lastTransitionTime: '2026-11-26T07:00:00Z',
      observedGeneration: 3,
    };
    for (const [apiVersion, kind, spec] of [
      ['weft.dev/v1alpha1', 'TrafficPolicy', { targetRef: { kind: 'Service', name: 'api' } }],
      ['weft.dev/v1alpha1', 'AuthorizationPolicy', { targetRef: { kind: 'Service', name: 'api' } }],
      ['split.smi-spec.io/v1alpha2', 'TrafficSplit', { service: 'a', backends: [{ service: 'b' }] }],
    ] as const) {
      const base = { apiVersion, kind, metadata: { name: 'x', namespace: 'n' }, spec };
      expect(
        validateResource({ ...base, status: { observedGeneration: 3, conditions: [condition] } }),
        kind,
      ).toEqual([]);
      const bad = validateResource({
        ...base,
        status: { conditions: [{ ...condition, reason: 'target not found' }, condition] },
      });
      expect(bad.join('\n'), kind).toContain('pattern');
      const dup = validateResource({ ...base, status: { conditions: [condition, condition] } });
      expect(dup.join('\n'), kind).toContain('x-kubernetes-list-type');
    }
  });
});
