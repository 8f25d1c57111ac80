/**
 * The demo view's rows: one per endpoint the control plane serves for a service (address:port),
 * so two replicas show as two rows and replicas that collapse into one endpoint are flagged.
 * Pure: the control plane's /debug/state, two metric scrapes (the window's ends) and the apps'
 * own latencies in, rows out.
 */
import { sumSamples } from '@weft/runtime';
import type { ProxyScrape } from '../stat/golden.js';
import { percentile } from './sliding-window.js';

/** One replica: an endpoint the control plane serves, with the inbound traffic of its proxy. */
export interface ReplicaRow {
  readonly service: string;
  /** `address:port` as the control plane serves it. */
  readonly endpoint: string;
  /** The replica's service account (its SPIFFE ID's last segment), or "?" when unknown. */
  readonly replica: string;
  readonly requestsPerSecond: number | undefined;
  readonly successRate: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

/** Rows and the problems worth a line of their own (replicas without an endpoint). */
export interface ViewRows {
  readonly rows: readonly ReplicaRow[];
  readonly warnings: readonly string[];
}

export interface ViewRowsInput {
  readonly namespace: string;
  /** The control plane's /debug/state. */
  readonly debugState: unknown;
  /** The newest scrapes and those from the window's start (undefined: none yet). */
  readonly now: readonly ProxyScrape[];
  readonly before: readonly ProxyScrape[] | undefined;
  /** Latencies (ms) the apps measured in the window, by replica (service account). */
  readonly latencies: ReadonlyMap<string, readonly number[]>;
  /** Services without inbound traffic of their own to show (the load generator). */
  readonly hide?: ReadonlySet<string>;
}

interface DebugService {
  namespace?: string;
  name?: string;
  endpointAddresses?: Record<string, Array<{ address?: string; identity?: string }>>;
}
interface DebugRegistration {
  identity?: string;
  service?: string;
  workload?: string;
  /** Service ports it serves; a proxy without any (a pure client) is no endpoint. */
  ports?: unknown[];
}

const saOf = (identity: string | undefined) => identity?.split('/sa/')[1] ?? '?';
const INBOUND = { direction: 'inbound' } as const;

function inbound(s: Extract<ProxyScrape, { ok: true }>) {
  return {
    requests: sumSamples(s.samples, 'weft_requests_total', INBOUND),
    successes: sumSamples(s.samples, 'weft_responses_total', { ...INBOUND, classification: 'success' }),
  };
}

/** Builds the rows, sorted by service then endpoint. */
export function viewRows(input: ViewRowsInput): ViewRows {
  const state = (input.debugState ?? {}) as {
    services?: DebugService[];
    registrations?: DebugRegistration[];
  };
  const registrations = Array.isArray(state.registrations) ? state.registrations : [];
  const scrapeOf = (list: readonly ProxyScrape[] | undefined, workload: string | undefined) =>
    list?.find((s): s is Extract<ProxyScrape, { ok: true }> => s.ok && s.workload === workload);
  const rows: ReplicaRow[] = [];
  const warnings: string[] = [];
  for (const svc of Array.isArray(state.services) ? state.services : []) {
    if (svc.namespace !== input.namespace || svc.name === undefined || input.hide?.has(svc.name)) continue;
    const regs = registrations.filter(
      (r) => r.service === svc.name && (!Array.isArray(r.ports) || r.ports.length > 0),
    );
    if (regs.length === 0) continue; // a split's root: its traffic shows on its backends.
    const endpoints = Object.values(svc.endpointAddresses ?? {})[0] ?? [];
    const served = new Set<string>();
    for (const ep of endpoints) {
      const reg = regs.find((r) => r.identity === ep.identity);
      served.add(reg?.identity ?? '');
      const now = scrapeOf(input.now, reg?.workload);
      const before = scrapeOf(input.before, reg?.workload);
      let rps: number | undefined;
      let success: number | undefined;
      if (now !== undefined && before !== undefined && now.at > before.at) {
        const a = inbound(now);
        const b = inbound(before);
        const requests = a.requests - b.requests;
        rps = Math.max(0, requests) / ((now.at - before.at) / 1000);
        success = requests > 0 ? (a.successes - b.successes) / requests : undefined;
      }
      const replica = saOf(ep.identity);
      const lat = input.latencies.get(replica) ?? [];
      rows.push({
        service: svc.name,
        endpoint: ep.address ?? '?',
        replica,
        requestsPerSecond: rps,
        successRate: success,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
      });
    }
    const missing = regs.filter((r) => !served.has(r.identity ?? ''));
    if (missing.length > 0) {
      warnings.push(
        `${svc.name}: ${regs.length} replicas registered but ${endpoints.length} endpoints served; ` +
          `no endpoint for ${missing.map((r) => saOf(r.identity)).join(', ')} (replicas collapsed?)`,
      );
    }
  }
  rows.sort((a, b) => a.service.localeCompare(b.service) || a.endpoint.localeCompare(b.endpoint));
  return { rows, warnings };
}
