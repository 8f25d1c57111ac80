/**
 * Rejected resources of a running control plane, from its /debug/state: the lines `weft check`
 * fails with and the live view counts. Pure apart from the one check that fetches the state.
 */
import { type Check, fail, ok, warn } from './result.js';

/** What the control plane rejects (errors) and what it only warns of (kinds it does not read). */
export interface RejectedSummary {
  /** `file:line: Kind/name: reason`, one per rejected resource or unreadable file. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

interface DebugCondition {
  status?: unknown;
  text?: unknown;
  resource?: unknown;
  message?: unknown;
}
interface DebugFolderError {
  file?: unknown;
  line?: unknown;
  message?: unknown;
  severity?: unknown;
}

/** Pure: the rejected resources and folder problems listed in a /debug/state answer. */
export function rejectedFromDebugState(state: unknown): RejectedSummary {
  const s = (state ?? {}) as { conditions?: unknown; sources?: Record<string, { errors?: unknown }> };
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const c of Array.isArray(s.conditions) ? (s.conditions as DebugCondition[]) : []) {
    if (c?.status !== 'rejected') continue;
    errors.push(typeof c.text === 'string' ? c.text : `${String(c.resource)}: ${String(c.message)}`);
  }
  for (const source of Object.values(s.sources ?? {})) {
    for (const e of Array.isArray(source?.errors) ? (source.errors as DebugFolderError[]) : []) {
      const line = `${String(e.file)}:${String(e.line)}: ${String(e.message)}`;
      if (e.severity === 'warning') warnings.push(line);
      else errors.push(line);
    }
  }
  return { errors, warnings };
}

const NAME = 'no resources are rejected';

/** Fails while the control plane at `baseUrl` rejects any resource; foreign kinds only warn. */
export function rejectedResourcesCheck(baseUrl: string, timeoutMs: number): Check {
  return {
    name: NAME,
    async run() {
      const res = await fetch(new URL('/debug/state', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 403) return warn(NAME, '/debug/state is served to loopback clients only');
      if (!res.ok) return fail(NAME, `GET /debug/state: HTTP ${res.status}`);
      const { errors, warnings } = rejectedFromDebugState(await res.json());
      if (errors.length > 0) {
        return fail(
          NAME,
          `${errors.join('\n')}\nfix these; weft validate --config-dir DIR checks a folder without running it`,
          `${errors.length} rejected`,
        );
      }
      if (warnings.length > 0) return warn(NAME, warnings.join('\n'), `${warnings.length} ignored`);
      return ok(NAME);
    },
  };
}
