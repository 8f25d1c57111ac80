import { describe, expect, it } from 'vitest';
import {
  describeRotation,
  nextStepBlocker,
  type RotationReportView,
  rotationCheckResult,
} from './anchor-rotation.js';

function report(
  step: RotationReportView['step'],
  withBundle: number,
  withCurrentIssuer: number,
): RotationReportView {
  return {
    step,
    next: 'the next thing',
    anchors: [],
    issuer: { fingerprint: 'ab', notAfter: 0 },
    proxies: {
      connected: 3,
      withBundle,
      withCurrentIssuer,
      lagging:
        withBundle < 3 || withCurrentIssuer < 3
          ? [
              {
                namespace: 'shop',
                workload: 'api-1',
                identity: 'spiffe://cluster.local/ns/shop/sa/api',
                serial: '0a',
                notAfter: '2026-12-03T00:00:00.000Z',
                issuer: withCurrentIssuer < 3 ? 'previous' : 'current',
                holdsBundle: withBundle === 3,
              },
            ]
          : [],
    },
  };
}

describe('nextStepBlocker', () => {
  it('holds step 2 until every proxy has the new bundle', () => {
    expect(nextStepBlocker(report('anchor-added', 2, 3))).toBe(
      '1 of 3 proxies do not hold the new bundle yet',
    );
    expect(nextStepBlocker(report('anchor-added', 3, 3))).toBeUndefined();
  });

  it('holds step 3 until every proxy has a certificate from the new issuer', () => {
    expect(nextStepBlocker(report('issuer-switched', 3, 1))).toBe(
      '2 of 3 proxies still hold a certificate from the old issuer',
    );
    expect(nextStepBlocker(report('issuer-switched', 3, 3))).toBeUndefined();
  });

  it('blocks everything when the issuer chains to no anchor', () => {
    expect(nextStepBlocker(report('unknown', 3, 3))).toMatch(/chains to no anchor/);
  });
});

describe('rotationCheckResult', () => {
  it('is ok when steady and a warning naming the lagging proxy during a rotation', () => {
    expect(rotationCheckResult('r', report('steady', 3, 3)).status).toBe('ok');
    const r = rotationCheckResult('r', report('issuer-switched', 3, 2));
    expect(r.status).toBe('warn');
    expect(r.status === 'warn' && r.hint).toContain(
      'shop/api-1 (spiffe://cluster.local/ns/shop/sa/api) certificate from previous issuer; serial 0a',
    );
    expect(describeRotation(report('anchor-added', 3, 3))).toContain('step 1 of 3 done');
  });
});
