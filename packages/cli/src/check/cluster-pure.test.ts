import { describe, expect, it } from 'vitest';
import { crdCheck, versionCheck } from './cluster-checks.js';
import { deploymentCheck, imageTag, proxyVersionsOf } from './control-plane-checks.js';
import { proxiesFromDebugState } from './local-checks.js';
import { versionsCheck } from './versions.js';

describe('versionCheck', () => {
  it('accepts 1.29 and newer, including provider suffixes', () => {
    expect(versionCheck({ major: '1', minor: '29', gitVersion: 'v1.29.0' }).status).toBe('ok');
    expect(versionCheck({ major: '1', minor: '31+', gitVersion: 'v1.31.2-gke.1' }).status).toBe('ok');
    expect(versionCheck({ major: '2', minor: '0' }).status).toBe('ok');
  });
  it('fails older clusters and warns on unreadable versions', () => {
    expect(versionCheck({ major: '1', minor: '28+' }).status).toBe('fail');
    expect(versionCheck({ major: 'x', minor: '' }).status).toBe('warn');
  });
});

describe('crdCheck', () => {
  const expected = {
    name: 'trafficpolicies.weft.dev',
    kind: 'TrafficPolicy',
    group: 'weft.dev',
    served: ['v1alpha1'],
  };
  const crd = (established: string) => ({
    spec: {
      group: 'weft.dev',
      names: { kind: 'TrafficPolicy', plural: 'trafficpolicies' },
      scope: 'Namespaced',
      versions: [{ name: 'v1alpha1', served: true, storage: true }],
    },
    status: { conditions: [{ type: 'Established', status: established, message: 'names conflict' }] },
  });
  it('passes an established CRD and fails one that is not', () => {
    expect(crdCheck(expected, crd('True')).status).toBe('ok');
    const r = crdCheck(expected, crd('False'));
    expect(r.status === 'fail' && r.hint).toBe('the CRD is not Established yet: names conflict');
  });
});

describe('deploymentCheck', () => {
  it('reports available replicas', () => {
    const r = deploymentCheck('d', {
      spec: { replicas: 2, selector: {}, template: {} },
      status: { availableReplicas: 1 },
    });
    expect(r).toEqual({ name: 'd', status: 'ok', detail: '1/2 replicas available' });
    expect(deploymentCheck('d', undefined).status).toBe('fail');
  });
});

describe('proxy versions', () => {
  it('reads image tags, falling back to the injected-version annotation', () => {
    expect(imageTag('ghcr.io/weft-mesh/weft:0.1.0')).toBe('0.1.0');
    expect(imageTag('localhost:5000/weft:0.2.0@sha256:abc')).toBe('0.2.0');
    expect(imageTag('localhost:5000/weft')).toBeUndefined();
    const pods = [
      {
        metadata: { namespace: 'a', name: 'p1' },
        spec: { containers: [{ name: 'weft-proxy', image: 'weft:0.1.0' }] },
      },
      {
        metadata: { namespace: 'a', name: 'p2', annotations: { 'weft.dev/injected-version': '0.0.9' } },
        spec: {
          initContainers: [{ name: 'weft-proxy', image: 'weft@sha256:abc' }],
          containers: [{ name: 'app' }],
        },
      },
      { metadata: { namespace: 'a', name: 'unmeshed' }, spec: { containers: [{ name: 'app' }] } },
    ];
    expect(proxyVersionsOf(pods)).toEqual([
      { proxy: 'a/p1', version: '0.1.0' },
      { proxy: 'a/p2', version: '0.0.9' },
    ]);
  });

  it('reads /debug/state proxies and lists at most ten mismatches', () => {
    const state = {
      proxies: Array.from({ length: 12 }, (_, i) => ({
        identity: `spiffe://cluster.local/ns/a/sa/s${i}`,
        proxyVersion: '0.0.1',
      })),
    };
    const r = versionsCheck('v', '0.1.0', proxiesFromDebugState(state), 'restart');
    expect(r.status).toBe('warn');
    expect(r.status === 'warn' && r.hint).toMatch(
      /^12 of 12 proxies do not run 0\.1\.0: .*s9 runs 0\.0\.1; and 2 more\nrestart$/,
    );
    expect(() => proxiesFromDebugState({})).toThrow('/debug/state has no "proxies" list');
  });
});
