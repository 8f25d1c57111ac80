import { describe, expect, it } from 'vitest';
import type { RotationReportView } from './anchor-rotation.js';
import { clusterRotationResult, mergeRotationReports, type ReplicaReport } from './cluster-rotation.js';

function report(
  step: RotationReportView['step'],
  issuer: string,
  proxies: { connected: number; withBundle: number; withCurrentIssuer: number; lagging?: string[] },
): RotationReportView {
  return {
    step,
    next: 'next step text',
    anchors: [{ fingerprint: 'a1', notAfter: 0, signsIssuer: true }],
    issuer: { fingerprint: issuer, notAfter: 0 },
    proxies: {
      connected: proxies.connected,
      withBundle: proxies.withBundle,
      withCurrentIssuer: proxies.withCurrentIssuer,
      lagging: (proxies.lagging ?? []).map((workload) => ({
        namespace: 'shop',
        workload,
        identity: `spiffe://cluster.local/ns/shop/sa/${workload}`,
        issuer: 'previous',
        holdsBundle: true,
      })),
    },
  };
}

describe('the rotation step across control-plane replicas', () => {
  it('sums the proxies of every replica and joins their lagging lists', () => {
    const merged = mergeRotationReports([
      {
        replica: 'weft-system/cp-0',
        report: report('issuer-switched', 'f1', {
          connected: 3,
          withBundle: 3,
          withCurrentIssuer: 2,
          lagging: ['api'],
        }),
      },
      {
        replica: 'weft-system/cp-1',
        report: report('issuer-switched', 'f1', {
          connected: 2,
          withBundle: 2,
          withCurrentIssuer: 1,
          lagging: ['web'],
        }),
      },
    ]);
    expect('report' in merged).toBe(true);
    if (!('report' in merged)) return;
    expect(merged.report.proxies.connected).toBe(5);
    expect(merged.report.proxies.withBundle).toBe(5);
    expect(merged.report.proxies.withCurrentIssuer).toBe(3);
    expect(merged.report.proxies.lagging.map((l) => l.workload)).toEqual(['api', 'web']);
    const result = clusterRotationResult('trust-anchor rotation', [
      { replica: 'weft-system/cp-0', report: merged.report },
    ]);
    expect(result.status).toBe('warn');
    expect(result.status === 'warn' && result.hint).toContain(
      '2 of 5 proxies still hold a certificate from the old issuer',
    );
  });

  it('refuses to name a step when the replicas disagree or one does not answer', () => {
    const reports: ReplicaReport[] = [
      {
        replica: 'weft-system/cp-0',
        report: report('anchor-added', 'f1', { connected: 1, withBundle: 1, withCurrentIssuer: 1 }),
      },
      {
        replica: 'weft-system/cp-1',
        report: report('issuer-switched', 'f2', { connected: 1, withBundle: 1, withCurrentIssuer: 1 }),
      },
    ];
    const disagree = mergeRotationReports(reports);
    expect('problem' in disagree && disagree.problem).toMatch(
      /disagree[\s\S]*cp-0: anchor-added[\s\S]*cp-1: issuer-switched/,
    );
    const silent = mergeRotationReports([
      reports[0]!,
      { replica: 'weft-system/cp-2', error: 'HTTP 503: not ready' },
    ]);
    expect('problem' in silent && silent.problem).toBe('weft-system/cp-2: HTTP 503: not ready');
    expect(clusterRotationResult('r', [{ replica: 'weft-system/cp-2', error: 'not ready' }]).status).toBe(
      'warn',
    );
    expect('problem' in mergeRotationReports([])).toBe(true);
  });

  it('is ok, naming the replicas, when no rotation is in progress', () => {
    const result = clusterRotationResult('r', [
      {
        replica: 'weft-system/cp-0',
        report: report('steady', 'f1', { connected: 4, withBundle: 4, withCurrentIssuer: 4 }),
      },
      {
        replica: 'weft-system/cp-1',
        report: report('steady', 'f1', { connected: 4, withBundle: 4, withCurrentIssuer: 4 }),
      },
    ]);
    expect(result).toEqual({
      name: 'r',
      status: 'ok',
      detail: 'no rotation in progress (one trust anchor)\n2 control-plane replicas agree',
    });
  });
});
