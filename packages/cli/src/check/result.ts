/** What one `weft check` check found, how the results print, and what the exit code is. */
import { describeError } from '@weft/core';
import { type Colours, colours as makeColours } from '../cli-kit/colour.js';

/** One check's outcome. `warn` does not fail the run; `fail` does. */
export type CheckResult =
  | { readonly name: string; readonly status: 'ok'; readonly detail?: string }
  | {
      readonly name: string;
      readonly status: 'warn' | 'fail';
      readonly detail?: string;
      readonly hint: string;
    };

export const ok = (name: string, detail?: string): CheckResult =>
  detail === undefined ? { name, status: 'ok' } : { name, status: 'ok', detail };

export const fail = (name: string, hint: string, detail?: string): CheckResult =>
  detail === undefined ? { name, status: 'fail', hint } : { name, status: 'fail', hint, detail };

export const warn = (name: string, hint: string, detail?: string): CheckResult =>
  detail === undefined ? { name, status: 'warn', hint } : { name, status: 'warn', hint, detail };

/**
 * One named check. `run` may throw: the runner turns the error into a failure with the error's
 * message as the hint, so a check only describes the outcomes it understands.
 */
export interface Check {
  readonly name: string;
  run(): Promise<CheckResult | readonly CheckResult[]>;
}

/** Runs the checks one after another (their order is the output's), each bounded by `timeoutMs`. */
export async function runChecks(checks: readonly Check[], timeoutMs: number): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const outcome = await Promise.race([check.run(), timeout]);
      results.push(...(Array.isArray(outcome) ? outcome : [outcome as CheckResult]));
    } catch (err) {
      results.push(fail(check.name, describeError(err)));
    } finally {
      clearTimeout(timer);
    }
  }
  return results;
}

const SYMBOL = { ok: '✔', warn: '‼', fail: '✖' } as const;

/**
 * One line per check (`✔ name`), the hint indented under a warning or failure, then a summary;
 * the symbols are coloured when `colours` colour (a terminal).
 */
export function renderText(results: readonly CheckResult[], colours: Colours = makeColours(false)): string {
  const paint = { ok: colours.green, warn: colours.yellow, fail: colours.red } as const;
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${paint[r.status](SYMBOL[r.status])} ${r.name}${r.detail === undefined ? '' : ` (${r.detail})`}`,
    );
    if (r.status !== 'ok') for (const line of r.hint.split('\n')) lines.push(`    ${line}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed === 0
      ? `Status check results are ✔${warned === 0 ? '' : ` (${warned} warning${warned === 1 ? '' : 's'})`}`
      : `Status check results are ✖ (${failed} failed${warned === 0 ? '' : `, ${warned} warning${warned === 1 ? '' : 's'}`})`,
  );
  return `${lines.join('\n')}\n`;
}

/** `{"success": bool, "checks": [...]}` for `-o json`. */
export function renderJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ success: passed(results), checks: results }, null, 2)}\n`;
}

/** True when no check failed (warnings pass). */
export function passed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}
