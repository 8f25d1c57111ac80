/** Tracing follows the mesh config the control plane pushes; an invalid section is NACKed. */
import { DiscoveryState } from '@weft/proxy';
import { response } from '@weft/proxy/testing';
import { TracingController } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function meshResource(tracing: { endpoint: string; protocol: string; sampling: number }) {
  return response([
    { name: 'mesh', version: '1', kind: 'meshConfig', meshConfig: { trustDomain: 'cluster.local', tracing } },
  ]);
}

describe('mesh config tracing', () => {
  it('switches the pipeline on ACKed pushes and keeps it on a NACKed one', () => {
    const state = new DiscoveryState();
    const tracing = new TracingController({ env: {}, resource: { serviceName: 'web' } });
    closers.push(() => tracing.close());
    state.onMeshConfig = (mesh) => {
      if (mesh.tracing) tracing.applyMeshConfig(mesh.tracing);
    };
    expect(tracing.current.enabled).toBe(false);

    const ok = state.apply(
      meshResource({ endpoint: 'http://jaeger.weft-system:4318', protocol: 'http/protobuf', sampling: 0.1 }),
    );
    expect(ok).toEqual({ type: 'ack' });
    expect(tracing.current).toEqual({
      enabled: true,
      url: 'http://jaeger.weft-system:4318/v1/traces',
      protocol: 'http/protobuf',
      sampling: 0.1,
      source: 'mesh',
    });

    const bad = state.apply(
      meshResource({ endpoint: 'http://jaeger.weft-system:4317', protocol: 'thrift', sampling: 0.1 }),
    );
    expect(bad.type).toBe('nack');
    expect(bad.type === 'nack' && bad.reason).toMatch(
      /resource "mesh": mesh config tracing.protocol: unsupported OTLP protocol "thrift"/,
    );
    expect(state.apply(meshResource({ endpoint: 'x', protocol: 'grpc', sampling: 3 })).type).toBe('nack');
    expect(tracing.current).toMatchObject({ url: 'http://jaeger.weft-system:4318/v1/traces', sampling: 0.1 });

    expect(state.apply(meshResource({ endpoint: '', protocol: '', sampling: 0 }))).toEqual({ type: 'ack' });
    expect(tracing.current.enabled).toBe(false);
  });
});
