/**
 * The trust-anchor rotation as the control plane sees it (`/debug/identity`): which step the mesh
 * is on and which proxies still lack the new bundle or hold a certificate of a replaced issuer.
 * Shared by `weft check` and `weft identity rotate-anchor` (which refuses a step the mesh is not
 * ready for).
 */
import { describeError } from '@weft/core';
import { type Check, type CheckResult, ok, warn } from './result.js';

/** The part of the control plane's RotationReport read here. */
export interface RotationReportView {
  readonly step: 'steady' | 'anchor-added' | 'issuer-switched' | 'unknown';
  readonly next: string;
  readonly anchors: readonly { fingerprint: string; notAfter: number; signsIssuer: boolean }[];
  readonly issuer: { fingerprint: string; notAfter: number };
  readonly proxies: {
    readonly connected: number;
    readonly withBundle: number;
    readonly withCurrentIssuer: number;
    readonly lagging: readonly {
      namespace: string;
      workload: string;
      identity: string;
      serial?: string;
      notAfter?: string;
      issuer: string;
      holdsBundle: boolean;
    }[];
  };
}

const STEP_TEXT: Record<RotationReportView['step'], string> = {
  steady: 'no rotation in progress (one trust anchor)',
  'anchor-added': 'step 1 of 3 done: a new anchor is in the bundle, the issuer is still the old one',
  'issuer-switched':
    'step 2 of 3 done: the issuer is signed by the new anchor, the old anchor is still trusted',
  unknown: 'the issuer chains to no anchor in the bundle',
};

/** GET /debug/identity from the admin server at `baseUrl`; undefined when it serves none (404). Throws naming the address. */
export async function fetchRotationReport(
  baseUrl: string,
  timeoutMs: number,
): Promise<RotationReportView | undefined> {
  const url = new URL('/debug/identity', baseUrl);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${describeError((err as { cause?: unknown }).cause ?? err)}`, {
      cause: err,
    });
  }
  const text = await res.text();
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${text.trim()}`);
  return JSON.parse(text) as RotationReportView;
}

/** Pure: the report as lines (the step, counts, and up to `limit` lagging proxies). */
export function describeRotation(report: RotationReportView, limit = 10): string {
  const p = report.proxies;
  const lines = [
    STEP_TEXT[report.step],
    `proxies: ${p.connected} connected, ${p.withBundle} hold the bundle in force, ${p.withCurrentIssuer} hold a certificate from the issuer in force`,
  ];
  for (const l of p.lagging.slice(0, limit)) {
    const why = [
      l.holdsBundle ? undefined : 'lacks the bundle in force',
      l.issuer === 'current' ? undefined : `certificate from ${l.issuer} issuer`,
    ]
      .filter((x) => x !== undefined)
      .join(', ');
    lines.push(
      `  ${l.namespace}/${l.workload} (${l.identity}) ${why}${l.serial === undefined ? '' : `; serial ${l.serial}, expires ${l.notAfter}`}`,
    );
  }
  if (p.lagging.length > limit) lines.push(`  … and ${p.lagging.length - limit} more`);
  lines.push(`next: ${report.next}`);
  return lines.join('\n');
}

/** Pure: what blocks the next step, or undefined when it may run. */
export function nextStepBlocker(report: RotationReportView): string | undefined {
  const p = report.proxies;
  if (report.step === 'anchor-added' && p.withBundle < p.connected)
    return `${p.connected - p.withBundle} of ${p.connected} proxies do not hold the new bundle yet`;
  if (report.step === 'issuer-switched' && (p.withCurrentIssuer < p.connected || p.withBundle < p.connected))
    return `${p.connected - p.withCurrentIssuer} of ${p.connected} proxies still hold a certificate from the old issuer`;
  if (report.step === 'unknown') return 'the issuer chains to no anchor in the bundle';
  return undefined;
}

/** Pure: the `weft check` result for a report. */
export function rotationCheckResult(name: string, report: RotationReportView): CheckResult {
  const detail = describeRotation(report);
  if (report.step === 'steady') return ok(name, STEP_TEXT.steady);
  const blocker = nextStepBlocker(report);
  return warn(
    name,
    blocker === undefined ? `ready for the next step\n${detail}` : `${blocker}\n${detail}`,
    STEP_TEXT[report.step],
  );
}

/** `weft check`: the trust-anchor rotation step and the proxies that lag. */
export function anchorRotationCheck(baseUrl: string, timeoutMs: number): Check {
  const name = 'trust-anchor rotation';
  return {
    name,
    async run(): Promise<CheckResult> {
      const report = await fetchRotationReport(baseUrl, timeoutMs);
      return report === undefined
        ? ok(name, 'this control plane reports no identity (/debug/identity)')
        : rotationCheckResult(name, report);
    },
  };
}
