import { describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { DEFAULT_TARGET_POLICY, TargetPolicySource, targetPolicyFromMessage } from './target-policy.js';

describe('targetPolicyFromMessage', () => {
  it('takes the safe default for anything unset or UNSPECIFIED', () => {
    expect(targetPolicyFromMessage(null)).toEqual(DEFAULT_TARGET_POLICY);
    expect(
      targetPolicyFromMessage({
        mergeSlashes: 'SLASH_MERGE_UNSPECIFIED',
        escapedSlashes: 'ESCAPED_SLASH_ACTION_UNSPECIFIED',
        backslash: 'BACKSLASH_ACTION_UNSPECIFIED',
        forward: 'FORWARDED_PATH_UNSPECIFIED',
      }),
    ).toEqual({ mergeSlashes: true, escapedSlashes: 'reject', backslash: 'reject', forward: 'normalized' });
  });

  it('maps every explicit choice', () => {
    expect(
      targetPolicyFromMessage({
        mergeSlashes: 'SLASH_MERGE_KEEP',
        escapedSlashes: 'ESCAPED_SLASH_ACTION_UNESCAPE',
        backslash: 'BACKSLASH_ACTION_TO_SLASH',
        forward: 'FORWARDED_PATH_ORIGINAL',
      }),
    ).toEqual({
      mergeSlashes: false,
      escapedSlashes: 'unescape',
      backslash: 'to-slash',
      forward: 'original',
    });
  });
});

describe('TargetPolicySource', () => {
  it('gives the matched path and the forwarded target, and counts rejections', () => {
    const metrics = createProxyMetrics(() => 0);
    const t = new TargetPolicySource(metrics);
    expect(t.decide('inbound', 'GET', '/x/../%61dmin?q')).toEqual({
      type: 'ok',
      path: '/admin?q',
      forward: '/admin?q',
    });
    t.set({ ...DEFAULT_TARGET_POLICY, forward: 'original' });
    expect(t.decide('inbound', 'GET', '/x/../%61dmin?q')).toEqual({
      type: 'ok',
      path: '/admin?q',
      forward: '/x/../%61dmin?q',
    });
    expect(t.decide('outbound', 'GET', '/a#b')).toMatchObject({ type: 'reject', reason: 'fragment' });
    expect(metrics.requestTargetRejected.get({ direction: 'outbound', reason: 'fragment' })).toBe(1);
  });
});
