/** Pure: the control plane's /debug/state (its model of the mesh) as tables, one concern each. */
import { renderTable } from '../cli-kit/table.js';
import { arr, cell, obj, section } from './read.js';

/** Renders the tables of one /debug/state answer. */
export function renderDebugState(state: unknown): string {
  const s = obj(state);
  const parts: string[] = [`mesh state version ${cell(s.version)}\n`];
  if (s.leader != null) parts.push(leaderLine(obj(s.leader)));
  const services = arr(s.services)
    .map(obj)
    .map((svc) => {
      const ports = arr(svc.ports)
        .map(obj)
        .map((p) => `${cell(p.port)}/${cell(p.protocol)}`)
        .join(',');
      const endpoints = Object.entries(obj(svc.endpoints))
        .map(([port, n]) => `${port}:${cell(n)}`)
        .join(',');
      return [`${cell(svc.namespace)}/${cell(svc.name)}`, ports || '-', endpoints || '-', cell(svc.routed)];
    });
  parts.push(section('SERVICES', table(['SERVICE', 'PORTS', 'ENDPOINTS (port:count)', 'ROUTED'], services)));
  const registrations = arr(s.registrations)
    .map(obj)
    .map((r) => [
      cell(r.service),
      cell(r.workload),
      cell(r.address),
      arr(r.ports).map(cell).join(',') || '-',
      cell(r.identity),
    ]);
  parts.push(
    section('REGISTRATIONS', table(['SERVICE', 'WORKLOAD', 'ADDRESS', 'PORTS', 'IDENTITY'], registrations)),
  );
  const proxies = arr(s.proxies)
    .map(obj)
    .map((p) => [
      cell(p.workload),
      cell(p.identity),
      cell(p.proxyVersion),
      String(arr(p.subscriptions).length),
      cell(p.queued),
      p.lastNack == null ? '-' : cell(obj(p.lastNack).errorDetail ?? p.lastNack),
    ]);
  parts.push(
    section(
      'PROXIES',
      table(['WORKLOAD', 'IDENTITY', 'VERSION', 'SUBSCRIPTIONS', 'QUEUED', 'LAST NACK'], proxies),
    ),
  );
  const sources = Object.entries(obj(s.sources)).map(([name, src]) => [name, cell(obj(src).ready)]);
  parts.push(section('SOURCES', table(['SOURCE', 'READY'], sources)));
  const conditions = arr(s.conditions)
    .map(obj)
    .map((c) => [cell(c.resource), cell(c.origin), cell(c.status), cell(c.reason), cell(c.message)]);
  if (conditions.length > 0) {
    parts.push(
      section('CONDITIONS', table(['RESOURCE', 'ORIGIN', 'STATUS', 'REASON', 'MESSAGE'], conditions)),
    );
  }
  return parts.join('\n');
}

function table(head: string[], rows: string[][]): string {
  return rows.length === 0 ? '(none)\n' : renderTable({ head, rows });
}

/** Who writes status and Events: the Lease holder as this replica last read it. */
function leaderLine(l: Record<string, unknown>): string {
  if (l.election !== 'lease')
    return `leader election off (this replica ${l.leading === true ? 'writes' : 'does not write'} status)\n`;
  const holder = cell(l.holder) === '-' ? 'none' : cell(l.holder);
  return `leader ${holder} (Lease ${cell(l.namespace)}/${cell(l.name)}; this replica ${cell(l.identity)} ${l.leading === true ? 'leads' : 'follows'})\n`;
}
