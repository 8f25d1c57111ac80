// Turns measured rows into the Markdown tables of docs/benchmarks.md and the headline JSON.

const fmt = (value, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value) ? '—' : value.toFixed(digits);
const ratio = (a, b) => (a && b ? a / b : undefined);

/** The HTTP table: one line per row, ratios against HAProxy and against direct. */
export function httpTable(rows, { loadCore, proxyCore }) {
  const haproxy = rows.find((r) => r.key === 'haproxy')?.result;
  const direct = rows.find((r) => r.key === 'direct')?.result;
  const lines = [
    '| target | max req/s | × HAProxy | × direct | proxy CPU at max | busy at max: load core / proxy core | p50 ms @1k | p99 ms @1k | p99 added vs direct (ms) | RSS MB idle → @1k | CPU % of a core per 1k req/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push(`| ${row.label} | not run: ${row.skipped ?? row.error} ||||||||||`);
      continue;
    }
    const isDirect = row.key === 'direct';
    const cells = [
      row.label,
      fmt(r.maxRps),
      fmt(ratio(r.maxRps, haproxy?.maxRps), 2),
      fmt(ratio(r.maxRps, direct?.maxRps), 2),
      isDirect ? '—' : `${fmt(r.cpuAtMax * 100)}%`,
      `${fmt(r.coresAtMax[loadCore] * 100)}% / ${fmt(r.coresAtMax[proxyCore] * 100)}%`,
      fmt(r.latency.p50, 3),
      fmt(r.latency.p99, 3),
      isDirect || !direct ? '—' : fmt(r.latency.p99 - direct.latency.p99, 3),
      isDirect ? '—' : `${fmt(r.rssIdleMb, 1)} → ${fmt(r.rssMb, 1)}`,
      isDirect ? '—' : fmt(r.cpuPer1k * 100, 1),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The opaque-TCP table: Gbit/s, ratios against HAProxy `mode tcp` and direct. */
export function tcpTable(rows, { loadCore, proxyCore }) {
  const haproxy = rows.find((r) => r.key === 'haproxy-tcp')?.result;
  const direct = rows.find((r) => r.key === 'direct-tcp')?.result;
  const lines = [
    '| target | Gbit/s | × HAProxy tcp | × direct | proxy CPU | busy: load core / proxy core |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push(`| ${row.label} | not run: ${row.skipped ?? row.error} |||||`);
      continue;
    }
    const cpu = row.key === 'direct-tcp' ? '—' : `${fmt(r.cpu * 100)}%`;
    lines.push(
      `| ${row.label} | ${fmt(r.gbps, 2)} | ${fmt(ratio(r.gbps, haproxy?.gbps), 2)} | ${fmt(ratio(r.gbps, direct?.gbps), 2)} | ${cpu} | ${fmt(r.cores[loadCore] * 100)}% / ${fmt(r.cores[proxyCore] * 100)}% |`,
    );
  }
  return lines.join('\n');
}

const round = (value, digits) =>
  value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(digits));

/** The headline figures; null where the row they need did not run. */
export function headline(httpRows, tcpRows) {
  const get = (rows, key) => rows.find((r) => r.key === key)?.result;
  const weft = get(httpRows, 'weft-outbound');
  const mesh = get(httpRows, 'weft-mesh');
  const direct = get(httpRows, 'direct');
  const haproxy = get(httpRows, 'haproxy');
  const haproxyPair = get(httpRows, 'haproxy-mtls');
  const nodeProxy = get(httpRows, 'node-http-proxy');
  const weftTcp = get(tcpRows, 'weft-tcp');
  const haproxyTcp = get(tcpRows, 'haproxy-tcp');
  const meshTcp = get(tcpRows, 'weft-mesh-tcp');
  const haproxyTcpPair = get(tcpRows, 'haproxy-tcp-mtls');
  return {
    http_vs_haproxy: round(ratio(weft?.maxRps, haproxy?.maxRps), 3),
    http_vs_node_http_proxy: round(ratio(weft?.maxRps, nodeProxy?.maxRps), 3),
    tcp_vs_haproxy: round(ratio(weftTcp?.gbps, haproxyTcp?.gbps), 3),
    mesh_added_p99_ms: round(mesh && direct ? mesh.latency.p99 - direct.latency.p99 : undefined, 3),
    sidecar_rss_mb: round(mesh ? mesh.rssMbPerProcess : weft?.rssMb, 1),
    mesh_vs_haproxy_mtls_pair: round(ratio(mesh?.maxRps, haproxyPair?.maxRps), 3),
    tcp_mesh_vs_haproxy_mtls_pair: round(ratio(meshTcp?.gbps, haproxyTcpPair?.gbps), 3),
    haproxy_mtls_pair_added_p99_ms: round(
      haproxyPair && direct ? haproxyPair.latency.p99 - direct.latency.p99 : undefined,
      3,
    ),
  };
}
