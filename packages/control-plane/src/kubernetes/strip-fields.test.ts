import {
  endpointSliceResourceSchema,
  parseConfig,
  podResourceSchema,
  serviceResourceSchema,
} from '@weft/api';
import { describe, expect, it } from 'vitest';
import { stripUnusedFields } from './strip-fields.js';

const metadata = {
  name: 'web-1',
  namespace: 'shop',
  uid: 'u1',
  resourceVersion: '7',
  creationTimestamp: '2026-01-01T00:00:00Z',
  labels: { app: 'web' },
  annotations: {
    'weft.dev/inject': 'enabled',
    'kubectl.kubernetes.io/last-applied-configuration': '{"a huge": "copy"}',
  },
  managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
  ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'x' }],
};

describe('stripUnusedFields', () => {
  it('keeps what the Pod schema reads and drops the rest', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: {
        serviceAccountName: 'web',
        nodeName: 'n1',
        containers: [
          { name: 'app', image: 'web:1', env: [{ name: 'X', value: 'y' }], ports: [{ containerPort: 80 }] },
        ],
        initContainers: [{ name: 'weft-proxy', restartPolicy: 'Always', image: 'weft' }],
        volumes: [{ name: 'v' }],
      },
      status: {
        phase: 'Running',
        podIP: '10.0.0.1',
        podIPs: [{ ip: '10.0.0.1' }],
        conditions: [{ type: 'Ready' }],
      },
    };
    const stripped = stripUnusedFields('Pod', pod);
    expect(stripped).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'web' },
        annotations: { 'weft.dev/inject': 'enabled' },
      },
      spec: {
        serviceAccountName: 'web',
        nodeName: 'n1',
        containers: [{ name: 'app', ports: [{ containerPort: 80 }] }],
        initContainers: [{ name: 'weft-proxy', restartPolicy: 'Always' }],
      },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] },
    });
    // The model parses the stripped object to the same typed value as the full one (bar extras).
    const full = parseConfig(podResourceSchema, pod, 'pod');
    const small = parseConfig(podResourceSchema, stripped, 'pod');
    expect(small.spec.serviceAccountName).toBe(full.spec.serviceAccountName);
    expect(small.status?.podIPs).toEqual(full.status?.podIPs);
  });

  it('keeps EndpointSlice endpoints’ addresses, conditions, target and zone; drops hints', () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...metadata, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: ['10.0.0.1'],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u1', resourceVersion: '9' },
          zone: 'z1',
          nodeName: 'n1',
          hints: { forZones: [{ name: 'z1' }] },
        },
      ],
    };
    const stripped = stripUnusedFields('EndpointSlice', slice);
    expect((stripped.endpoints as unknown[])[0]).toEqual({
      addresses: ['10.0.0.1'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      zone: 'z1',
      nodeName: 'n1',
    });
    expect(stripped.ports).toEqual(slice.ports);
    expect(() => parseConfig(endpointSliceResourceSchema, stripped, 'slice')).not.toThrow();
  });

  it('keeps a Service’s spec fields and drops its status; leaves custom resources’ spec and status', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { clusterIP: '10.96.0.1', ports: [{ port: 80, targetPort: 8080 }], sessionAffinity: 'None' },
      status: { loadBalancer: {} },
    };
    const s = stripUnusedFields('Service', svc);
    expect(s.spec).toEqual({ clusterIP: '10.96.0.1', ports: [{ port: 80, targetPort: 8080 }] });
    expect(s.status).toBeUndefined();
    expect(() => parseConfig(serviceResourceSchema, s, 'svc')).not.toThrow();
    // A load balancer's addresses are kept (the gateway reports its Service's in Gateway status).
    const lb = stripUnusedFields('Service', {
      ...svc,
      status: {
        loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP', ports: [] }] },
        conditions: [],
      },
    });
    expect(lb.status).toEqual({ loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } });
    const route = {
      apiVersion: 'x/v1',
      kind: 'HTTPRoute',
      metadata,
      spec: { rules: [] },
      status: { parents: [] },
    };
    const r = stripUnusedFields('HTTPRoute', route);
    expect(r.spec).toBe(route.spec);
    expect(r.status).toBe(route.status);
    expect((r.metadata as Record<string, unknown>).managedFields).toBeUndefined();
  });
});
