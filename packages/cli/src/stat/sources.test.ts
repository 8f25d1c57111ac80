import { describe, expect, it } from 'vitest';
import { parseGatherResponse, serviceProxyPath } from './sources.js';

describe('stat sources', () => {
  it('reaches the control plane admin through the API server service proxy', () => {
    expect(serviceProxyPath('weft-system')).toBe(
      '/api/v1/namespaces/weft-system/services/weft-control-plane:admin-http/proxy/proxies/metrics',
    );
  });

  it('parses a gather response; unreadable metrics make that proxy unreachable', () => {
    const scrapes = parseGatherResponse(
      {
        proxies: [
          { namespace: 'shop', workload: 'api-1', service: 'api', at: 5, metrics: 'up 1\n' },
          { namespace: 'shop', workload: 'api-2', service: 'api', at: 5, error: 'connect ECONNREFUSED' },
          { namespace: 'shop', workload: 'api-3', service: 'api', at: 5, metrics: 'x{a=1} 2\n' },
        ],
      },
      'test',
    );
    expect(scrapes[0]).toMatchObject({
      ok: true,
      workload: 'api-1',
      at: 5,
      samples: [{ name: 'up', value: 1 }],
    });
    expect(scrapes[1]).toEqual({
      ok: false,
      namespace: 'shop',
      workload: 'api-2',
      service: 'api',
      error: 'connect ECONNREFUSED',
    });
    expect(scrapes[2]).toMatchObject({ ok: false, error: expect.stringMatching(/value must be quoted/) });
  });

  it('names what is wrong with a malformed answer', () => {
    expect(() => parseGatherResponse({}, 'http://cp/proxies/metrics')).toThrow(
      'http://cp/proxies/metrics: the answer has no "proxies" list',
    );
    expect(() => parseGatherResponse({ proxies: [{ namespace: 'shop', workload: 1 }] }, 'cp')).toThrow(
      'cp: proxies[0].workload is not a string',
    );
  });
});
