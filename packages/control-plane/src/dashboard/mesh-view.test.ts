/** The dashboard's view of the model: split weights, endpoints with identity and readiness, rejections by origin. */
import { describe, expect, it } from 'vitest';
import { MeshState } from '../model/mesh-state.js';
import { ResourceBuilder } from '../model/resource-builder.js';
import type { Origin, ResourceKind, SourceEvent } from '../sources/config-source.js';
import { meshView } from './mesh-view.js';

function obj(
  kind: ResourceKind,
  apiVersion: string,
  name: string,
  body: Record<string, unknown>,
  origin: Origin,
): SourceEvent {
  return {
    type: 'upsert',
    ref: { kind, namespace: 'shop', name },
    object: { apiVersion, kind, metadata: { name, namespace: 'shop' }, ...body },
    origin,
  };
}
const k8s: Origin = { source: 'kubernetes' };
const svc = (name: string) =>
  obj('Service', 'v1', name, { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, k8s);

describe('meshView', () => {
  it('shows split weights, endpoints, and a Kubernetes rejection as object and condition', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      svc('api-v1'),
      svc('api-v2'),
      obj(
        'StaticEndpoints',
        'weft.dev/v1alpha1',
        'api-v1',
        { spec: { service: 'api-v1', endpoints: [{ address: '10.0.0.1' }] } },
        k8s,
      ),
      obj(
        'TrafficSplit',
        'split.smi-spec.io/v1alpha4',
        'api',
        {
          spec: {
            service: 'api',
            backends: [
              { service: 'api-v1', weight: 90 },
              { service: 'api-v2', weight: 10 },
            ],
          },
        },
        k8s,
      ),
      obj(
        'TrafficPolicy',
        'weft.dev/v1alpha1',
        'bad',
        { spec: { targetRef: { kind: 'Service', name: 'api' }, retry: { on: ['teapot'] } } },
        k8s,
      ),
    ]);
    const view = meshView(state, new ResourceBuilder(state));
    const api = view.services.find((s) => s.name === 'api');
    expect(api?.ports[0]?.routes[0]?.backends).toEqual([
      { backend: 'api-v1.shop:80', weight: 90 },
      { backend: 'api-v2.shop:80', weight: 10 },
    ]);
    const v1 = view.services.find((s) => s.name === 'api-v1');
    expect(v1?.ports[0]?.endpoints).toEqual([
      { address: '10.0.0.1:8080', identity: '', ready: true, zone: '' },
    ]);
    expect(view.rejected).toHaveLength(1);
    expect(view.rejected[0]).toMatchObject({
      object: 'TrafficPolicy shop/bad',
      condition: expect.stringMatching(/^Accepted=False/),
    });
    expect(view.rejected[0]?.message).toMatch(/unknown retry condition/);
    expect(view.rejected[0]?.location).toBeUndefined();
  });

  it('gives file:line for a rejection from the folder', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      obj(
        'TrafficPolicy',
        'weft.dev/v1alpha1',
        'bad',
        { spec: { targetRef: { kind: 'Service', name: 'api' }, retry: { on: ['teapot'] } } },
        { source: 'folder', file: '/m/bad.yaml', line: 3 },
      ),
    ]);
    const [r] = meshView(state, new ResourceBuilder(state)).rejected;
    expect(r?.location).toBe('/m/bad.yaml:3');
    expect(r?.text).toMatch(/^\/m\/bad\.yaml:3: TrafficPolicy\/bad: .*unknown retry condition/);
  });
});
