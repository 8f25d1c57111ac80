/**
 * The proxy's request-target policy: the mesh's path-normalization settings (pushed by the
 * control plane, safe defaults until then) applied to every HTTP/1 and HTTP/2 request.
 */
import type { PathNormalizationMessage__Output } from '@weft/api';
import {
  DEFAULT_PATH_NORMALIZATION,
  type EscapedSlashAction,
  type ForwardedPath,
  forwardedTarget,
  normalizeRequestTarget,
  type PathNormalizationOptions,
  type RequestTargetRejection,
} from '@weft/core';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';

/** Normalization settings plus which target the app receives. */
export interface TargetPolicy extends PathNormalizationOptions {
  readonly forward: ForwardedPath;
}

export const DEFAULT_TARGET_POLICY: TargetPolicy = { ...DEFAULT_PATH_NORMALIZATION, forward: 'normalized' };

/** The outcome for one request target. */
export type TargetDecision =
  | {
      readonly type: 'ok';
      /** What authorization, routing and metrics match: normalized path plus query. */
      readonly path: string;
      /** What is written upstream (`:path` / request-line target). */
      readonly forward: string;
    }
  | { readonly type: 'reject'; readonly reason: RequestTargetRejection; readonly detail: string };

/** Converts the pushed wire form (UNSPECIFIED fields take the safe default). */
export function targetPolicyFromMessage(
  m: PathNormalizationMessage__Output | null | undefined,
): TargetPolicy {
  if (m == null) return DEFAULT_TARGET_POLICY;
  const d = DEFAULT_TARGET_POLICY;
  const escaped = {
    ESCAPED_SLASH_ACTION_KEEP: 'keep',
    ESCAPED_SLASH_ACTION_REJECT: 'reject',
    ESCAPED_SLASH_ACTION_UNESCAPE: 'unescape',
  } as const;
  return {
    mergeSlashes: m.mergeSlashes === 'SLASH_MERGE_KEEP' ? false : d.mergeSlashes,
    // UNSPECIFIED, or a value this proxy does not know (a newer control plane): the default.
    escapedSlashes:
      (escaped as Record<string, EscapedSlashAction>)[String(m.escapedSlashes)] ?? d.escapedSlashes,
    backslash: m.backslash === 'BACKSLASH_ACTION_TO_SLASH' ? 'to-slash' : d.backslash,
    forward: m.forward === 'FORWARDED_PATH_ORIGINAL' ? 'original' : d.forward,
  };
}

/**
 * Holds the current policy and applies it. One per proxy, shared by both directions; the
 * discovery state replaces the policy when a mesh config arrives.
 */
export class TargetPolicySource {
  private current: TargetPolicy;

  constructor(
    private readonly metrics: ProxyMetrics,
    initial: TargetPolicy = DEFAULT_TARGET_POLICY,
  ) {
    this.current = initial;
  }

  policy(): TargetPolicy {
    return this.current;
  }

  set(policy: TargetPolicy): void {
    this.current = policy;
  }

  /** Normalizes `target`; a rejection is counted under `direction` and `reason`. */
  decide(direction: 'inbound' | 'outbound', method: string, target: string): TargetDecision {
    const p = this.current;
    const r = normalizeRequestTarget(target, { ...p, method });
    if (r.type === 'reject') {
      this.metrics.requestTargetRejected.inc({ direction, reason: r.reason });
      return r;
    }
    return { type: 'ok', path: r.path + r.query, forward: forwardedTarget(target, r, p.forward) };
  }
}
