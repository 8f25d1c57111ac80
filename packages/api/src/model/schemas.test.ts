import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.js';
import { httpRouteSchema } from './gateway.js';
import { defaultMeshConfig, meshConfigSchema } from './mesh-config.js';
import { ConfigError, parseConfig } from './parse.js';
import { trafficSplitSchema } from './smi.js';
import { authorizationPolicySchema, trafficPolicySchema } from './weft-policy.js';

/** Returns the ConfigError thrown by `fn`, failing the test when nothing is thrown. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['10y', 315_360_000_000],
  ])('%s is %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '10', 's', '10 s', '-5s', '5sec', '1h-3m'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('TrafficPolicy', () => {
  const valid = {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'TrafficPolicy',
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      targetRef: { kind: 'Service', name: 'api' },
      loadBalancer: { type: 'PeakEWMA' },
      timeouts: { request: '10s', perTry: '2s', idle: '5m' },
      retry: {
        attempts: 3,
        on: ['connect-failure', 'reset', '5xx', '503', 'grpc:unavailable'],
        backoff: { base: '25ms', max: '250ms' },
        budget: { ratio: 0.2, minPerSecond: 10, ttl: '10s' },
      },
      outlierDetection: { consecutiveFailures: 5, baseEjectionTime: '30s', maxEjectionPercent: 50 },
      limits: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 },
    },
  };

  it('parses the architecture example, turning durations into milliseconds', () => {
    const tp = parseConfig(trafficPolicySchema, valid, 'shop/api');
    expect(tp.spec.timeouts).toEqual({ request: 10_000, perTry: 2000, idle: 300_000 });
    expect(tp.spec.retry?.backoff).toEqual({ base: 25, max: 250 });
    expect(tp.spec.retry?.nonIdempotent).toBe(false);
    expect(tp.spec.outlierDetection?.baseEjectionTime).toBe(30_000);
  });

  it('names the field path of a bad retry condition', () => {
    const bad = structuredClone(valid);
    bad.spec.retry.on[2] = 'sometimes';
    const err = configError(() => parseConfig(trafficPolicySchema, bad, 'shop/api'));
    expect(err.issues).toEqual([{ path: 'spec.retry.on[2]', message: 'unknown retry condition' }]);
    expect(err.message).toBe('shop/api: spec.retry.on[2]: unknown retry condition');
  });

  it('rejects unknown fields in spec with their path', () => {
    const bad = { ...valid, spec: { ...valid.spec, retries: {} } };
    const err = configError(() => parseConfig(trafficPolicySchema, bad, 'f.yaml'));
    expect(err.issues[0]?.path).toBe('spec');
    expect(err.issues[0]?.message).toContain('retries');
  });

  it('names a bad duration', () => {
    const bad = structuredClone(valid);
    bad.spec.timeouts.perTry = 'soon';
    const err = configError(() => parseConfig(trafficPolicySchema, bad, 'f.yaml'));
    expect(err.issues[0]?.path).toBe('spec.timeouts.perTry');
    expect(err.issues[0]?.message).toContain('invalid duration "soon"');
  });

  it('rejects a targetRef that is not a Service', () => {
    const bad = structuredClone(valid) as unknown as { spec: { targetRef: { kind: string } } };
    bad.spec.targetRef.kind = 'Deployment';
    expect(configError(() => parseConfig(trafficPolicySchema, bad, 'f')).issues[0]?.path).toBe(
      'spec.targetRef.kind',
    );
  });
});

describe('AuthorizationPolicy', () => {
  const valid = {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'api-from-web', namespace: 'shop' },
    spec: {
      targetRef: { kind: 'Service', name: 'api' },
      action: 'Allow',
      from: [{ identities: ['spiffe://cluster.local/ns/shop/sa/web'] }, { namespaces: ['monitoring'] }],
      to: [{ ports: [80], methods: ['GET'], paths: ['/v1/*'] }],
    },
  };

  it('parses the architecture example', () => {
    const ap = parseConfig(authorizationPolicySchema, valid, 'x');
    expect(ap.spec.from).toHaveLength(2);
    expect(ap.spec.to[0]?.paths).toEqual(['/v1/*']);
  });

  it.each([
    [['spec', 'from', 0, 'identities', 0], 'web', 'spec.from[0].identities[0]'],
    [['spec', 'to', 0, 'ports', 0], 70000, 'spec.to[0].ports[0]'],
    [['spec', 'to', 0, 'methods', 0], 'get', 'spec.to[0].methods[0]'],
    [['spec', 'action'], 'Audit', 'spec.action'],
    [['metadata', 'name'], 'Not_A_Name', 'metadata.name'],
  ])('names %j when it is %j', (path, value, expected) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    let node: Record<string | number, unknown> = bad;
    for (const key of path.slice(0, -1)) node = node[key as string] as Record<string | number, unknown>;
    node[path.at(-1) as string] = value;
    expect(configError(() => parseConfig(authorizationPolicySchema, bad, 'x')).issues[0]?.path).toBe(
      expected,
    );
  });
});

describe('TrafficSplit', () => {
  it('parses v1alpha2 as Flagger writes it', () => {
    const ts = parseConfig(
      trafficSplitSchema,
      {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: {
          name: 'podinfo',
          namespace: 'test',
          ownerReferences: [{ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo' }],
        },
        spec: {
          service: 'podinfo',
          backends: [
            { service: 'podinfo-primary', weight: 90 },
            { service: 'podinfo-canary', weight: 10 },
          ],
        },
      },
      'x',
    );
    expect(ts.spec.backends.map((b) => b.weight)).toEqual([90, 10]);
  });

  it('reads an omitted weight as 0 (Flagger v1alpha2 omits a zero weight)', () => {
    const ts = parseConfig(
      trafficSplitSchema,
      {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: {
          service: 'podinfo',
          backends: [{ service: 'podinfo-canary' }, { service: 'podinfo-primary', weight: 100 }],
        },
      },
      'x',
    );
    expect(ts.spec.backends.map((b) => b.weight)).toEqual([0, 100]);
  });

  it('reads v1alpha1 quantity weights', () => {
    const ts = parseConfig(
      trafficSplitSchema,
      {
        apiVersion: 'split.smi-spec.io/v1alpha1',
        kind: 'TrafficSplit',
        metadata: { name: 's', namespace: 'n' },
        spec: {
          service: 'web',
          backends: [
            { service: 'web-v1', weight: '900m' },
            { service: 'web-v2', weight: '100m' },
          ],
        },
      },
      'x',
    );
    expect(ts.spec.backends.map((b) => b.weight)).toEqual([0.9, 0.1]);
  });

  it('names a negative weight and an empty backend list', () => {
    const base = { apiVersion: 'split.smi-spec.io/v1alpha4', kind: 'TrafficSplit', metadata: { name: 's' } };
    const neg = configError(() =>
      parseConfig(
        trafficSplitSchema,
        { ...base, spec: { service: 'a', backends: [{ service: 'b', weight: -1 }] } },
        'x',
      ),
    );
    expect(neg.issues[0]?.path).toBe('spec.backends[0].weight');
    const empty = configError(() =>
      parseConfig(trafficSplitSchema, { ...base, spec: { service: 'a', backends: [] } }, 'x'),
    );
    expect(empty.issues[0]).toEqual({ path: 'spec.backends', message: 'at least one backend is required' });
  });

  it('rejects an unknown SMI version', () => {
    const err = configError(() =>
      parseConfig(
        trafficSplitSchema,
        { apiVersion: 'split.smi-spec.io/v2', kind: 'TrafficSplit', metadata: { name: 's' }, spec: {} },
        'x',
      ),
    );
    expect(err.issues[0]?.path).toBe('apiVersion');
  });
});

describe('HTTPRoute', () => {
  it('parses a mesh route with weighted backends and matches', () => {
    const r = parseConfig(
      httpRouteSchema,
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'api', namespace: 'shop' },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'api', port: 80 }],
          rules: [
            {
              matches: [
                { path: { type: 'PathPrefix', value: '/v2' }, headers: [{ name: 'x-canary', value: '1' }] },
              ],
              backendRefs: [
                { name: 'api-v1', port: 80, weight: 90 },
                { name: 'api-v2', port: 80, weight: 10 },
              ],
              timeouts: { request: '3s' },
            },
          ],
        },
      },
      'x',
    );
    expect(r.spec.rules[0]?.matches?.[0]?.headers?.[0]?.type).toBe('Exact');
    expect(r.spec.rules[0]?.timeouts?.request).toBe(3000);
  });

  it('names a bad path match type', () => {
    const err = configError(() =>
      parseConfig(
        httpRouteSchema,
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'api' },
          spec: {
            parentRefs: [{ name: 'api' }],
            rules: [{ matches: [{ path: { type: 'Glob', value: '/' } }] }],
          },
        },
        'x',
      ),
    );
    expect(err.issues[0]?.path).toBe('spec.rules[0].matches[0].path.type');
  });
});

describe('MeshConfig', () => {
  it('has defaults', () => {
    const c = defaultMeshConfig();
    expect(c.trustDomain).toBe('cluster.local');
    expect(c.mtls).toBe('permissive');
    expect(c.proxy.opaquePorts).toContain(5432);
    expect(c.pathNormalization).toEqual({
      mergeSlashes: true,
      escapedSlashes: 'reject',
      backslash: 'reject',
      forward: 'normalized',
    });
  });

  it('takes path-normalization options and refuses unknown ones', () => {
    const c = parseConfig(meshConfigSchema, { pathNormalization: { escapedSlashes: 'keep' } }, 'm');
    expect(c.pathNormalization).toMatchObject({ escapedSlashes: 'keep', mergeSlashes: true });
    const err = configError(() =>
      parseConfig(meshConfigSchema, { pathNormalization: { escapedSlashes: 'decode-twice' } }, 'm'),
    );
    expect(err.issues[0]?.path).toBe('pathNormalization.escapedSlashes');
  });

  it('names the bad field', () => {
    const err = configError(() => parseConfig(meshConfigSchema, { tracing: { sampling: 2 } }, 'mesh.yaml'));
    expect(err.issues[0]?.path).toBe('tracing.sampling');
    expect(configError(() => parseConfig(meshConfigSchema, { mtls: 'sometimes' }, 'm')).issues[0]?.path).toBe(
      'mtls',
    );
  });
});
