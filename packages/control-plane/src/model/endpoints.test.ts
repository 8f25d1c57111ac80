import type { PodResource } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { runsProxy } from './endpoints.js';

const pod = (spec: Partial<PodResource['spec']>, annotations?: Record<string, string>): PodResource => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop', ...(annotations === undefined ? {} : { annotations }) },
  spec: { containers: [{ name: 'app' }], ...spec },
});

describe('runsProxy', () => {
  it('finds the proxy as a container, a native sidecar, or by the injector annotation', () => {
    expect(runsProxy(pod({ containers: [{ name: 'app' }, { name: 'weft-proxy' }] }))).toBe(true);
    expect(
      runsProxy(
        pod({ initContainers: [{ name: 'weft-init' }, { name: 'weft-proxy', restartPolicy: 'Always' }] }),
      ),
    ).toBe(true);
    expect(runsProxy(pod({}, { 'weft.dev/injected-version': '0.1.0' }))).toBe(true);
  });

  it('does not count a plain init container or an app pod', () => {
    expect(runsProxy(pod({ initContainers: [{ name: 'weft-proxy' }] }))).toBe(false);
    expect(runsProxy(pod({}))).toBe(false);
  });
});
