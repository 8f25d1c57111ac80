import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  GATEWAY_API_CHECK_NAME,
  GATEWAY_API_CRDS,
  gatewayApiCheck,
  parseBundleVersion,
} from './gateway-api-checks.js';

/** A CRD as a Gateway API release ships it (served versions, annotations, Established). */
function crd(
  name: string,
  options: { version?: string; channel?: string; served?: string[]; established?: boolean } = {},
): V1CustomResourceDefinition {
  const annotations: Record<string, string> = {};
  if (options.version !== undefined)
    annotations['gateway.networking.k8s.io/bundle-version'] = options.version;
  if (options.channel !== undefined) annotations['gateway.networking.k8s.io/channel'] = options.channel;
  const wanted = GATEWAY_API_CRDS.find((c) => c.name === name)?.version ?? 'v1';
  return {
    metadata: { name, annotations },
    spec: {
      group: 'gateway.networking.k8s.io',
      names: { kind: 'X', plural: 'x' },
      scope: 'Namespaced',
      versions: (options.served ?? [wanted]).map((v) => ({ name: v, served: true, storage: v === wanted })),
    },
    status: {
      conditions: [{ type: 'Established', status: options.established === false ? 'False' : 'True' }],
    } as V1CustomResourceDefinition['status'],
  };
}

function bundle(
  version: string | undefined,
  channel = 'standard',
  except: readonly string[] = [],
): Map<string, V1CustomResourceDefinition | undefined> {
  return new Map(
    GATEWAY_API_CRDS.map((c) => [
      c.name,
      except.includes(c.kind)
        ? undefined
        : crd(c.name, { ...(version === undefined ? {} : { version }), channel }),
    ]),
  );
}

const hint = (r: ReturnType<typeof gatewayApiCheck>) => (r.status === 'ok' ? '' : r.hint);

describe('gatewayApiCheck', () => {
  it('passes a complete v1.x bundle and names its version and channel', () => {
    expect(gatewayApiCheck(bundle('v1.6.1'), true)).toEqual({
      name: GATEWAY_API_CHECK_NAME,
      status: 'ok',
      detail: 'v1.6.1, standard channel',
    });
    expect(gatewayApiCheck(bundle('v1.1.0', 'experimental'), false).detail).toBe(
      'v1.1.0, experimental channel',
    );
  });

  it('warns when none is installed, and fails when weft’s gateway is installed without them', () => {
    const none = bundle(
      'v1.6.1',
      'standard',
      GATEWAY_API_CRDS.map((c) => c.kind),
    );
    const without = gatewayApiCheck(none, false);
    expect(without.status).toBe('warn');
    expect(hint(without)).toContain('none of the Gateway API CRDs is installed');
    expect(hint(without)).toContain('standard-install.yaml');
    const withGateway = gatewayApiCheck(none, true);
    expect(withGateway.status).toBe('fail');
    expect(hint(withGateway)).toContain("weft's gateway is installed");
  });

  it('warns for a bundle older than v1.1 (no GRPCRoute v1), naming what is missing', () => {
    const old = bundle('v1.0.0', 'standard', ['GRPCRoute']);
    const r = gatewayApiCheck(old, true);
    expect(r.status).toBe('warn');
    expect(r.detail).toBe('v1.0.0, standard channel');
    expect(hint(r)).toContain('missing: GRPCRoute');
    expect(hint(r)).toContain('bundle v1.0.0 is older than v1.1');
  });

  it('warns for v0.x CRDs that do not serve v1', () => {
    const found = new Map(
      GATEWAY_API_CRDS.map((c) => [
        c.name,
        crd(c.name, { version: 'v0.8.1', channel: 'standard', served: ['v1alpha2', 'v1beta1'] }),
      ]),
    );
    const r = gatewayApiCheck(found, false);
    expect(r.status).toBe('warn');
    expect(hint(r)).toContain('HTTPRoute does not serve v1 (it serves v1alpha2, v1beta1)');
    expect(hint(r)).toContain('bundle v0.8.1 is older than v1.1');
  });

  it('warns for mixed bundles, a missing annotation, an unknown major version, and a CRD not Established', () => {
    const mixed = bundle('v1.6.1');
    mixed.set(
      'httproutes.gateway.networking.k8s.io',
      crd('httproutes.gateway.networking.k8s.io', { version: 'v1.2.0', channel: 'standard' }),
    );
    expect(hint(gatewayApiCheck(mixed, false))).toContain('different bundles (v1.6.1, v1.2.0)');
    expect(hint(gatewayApiCheck(bundle(undefined), false))).toContain(
      'carry no gateway.networking.k8s.io/bundle-version',
    );
    expect(gatewayApiCheck(bundle(undefined), false).detail).toBe('unknown version, standard channel');
    expect(hint(gatewayApiCheck(bundle('v2.0.0'), false))).toContain(
      'a major version weft has not been tested with',
    );
    const pending = bundle('v1.6.1');
    pending.set(
      'gateways.gateway.networking.k8s.io',
      crd('gateways.gateway.networking.k8s.io', {
        version: 'v1.6.1',
        channel: 'standard',
        established: false,
      }),
    );
    expect(hint(gatewayApiCheck(pending, false))).toContain('Gateway is not Established');
  });

  it('parses release versions only', () => {
    expect(parseBundleVersion('v1.6.1')).toEqual({ major: 1, minor: 6, patch: 1 });
    expect(parseBundleVersion('v1.3.0-rc.1')).toEqual({ major: 1, minor: 3, patch: 0 });
    expect(parseBundleVersion('1.6.1')).toBeUndefined();
    expect(parseBundleVersion('main')).toBeUndefined();
  });
});
