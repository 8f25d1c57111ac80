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
    // The largest mesh sidecar (client or server) at 1k req/s, not the pair.
    mesh_sidecar_rss_mb: round(mesh?.rssMbPerProcess, 1),
    // exec -> ready (certificate + first discovery push), median of several starts.
    sidecar_ready_ms: round(mesh?.readyMs, 0),
    // The client sidecar's longest GC pause (`--trace-gc`) during the reported 1k req/s run.
    gc_max_pause_ms_at_1k: round(mesh?.gc?.maxPauseMs ?? undefined, 2),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * exec -> ready of several sidecar starts: the median, and the median of each start-up step
 * the sidecars reported in their `{"event":"ready","timeline":{…}}` lines (ms since their start).
 */
export function summarizeReadiness(starts) {
  if (starts.length === 0) return undefined;
  const steps = {};
  for (const key of Object.keys(starts[0].timeline ?? {})) {
    const values = starts.map((s) => s.timeline?.[key]).filter((v) => typeof v === 'number');
    if (values.length === starts.length) steps[key] = median(values);
  }
  return { readyMs: median(starts.map((s) => s.readyMs)), runs: starts.map((s) => s.readyMs), steps };
}

const LEGACY_BEGIN = '<!-- bench:proxy begin (generated by npm run bench:proxy; edits are overwritten) -->';
const END = '<!-- bench:proxy end -->';

/** The opening marker of the generated section for one Node major version. */
export function sectionBegin(nodeMajor) {
  return `<!-- bench:proxy begin node=${nodeMajor} (generated by npm run bench:proxy; edits are overwritten) -->`;
}

/**
 * `doc` with the generated section for Node `nodeMajor` replaced (or added after the other
 * Node versions' sections), everything else untouched: runs on Node 20 and on Node 24 each
 * keep their own section. A section from before per-version markers is taken as this
 * version's when it says it ran on this Node major.
 */
export function replaceSection(doc, section, nodeMajor) {
  const block = `${sectionBegin(nodeMajor)}\n${section.trimEnd()}\n${END}\n`;
  const splice = (from, to) => {
    const after = doc.slice(to);
    return doc.slice(0, from) + block + (after.trim() === '' ? '' : `\n${after.replace(/^\n+/, '')}`);
  };
  const own = doc.indexOf(sectionBegin(nodeMajor));
  if (own >= 0) {
    const end = doc.indexOf(END, own);
    if (end > own) return splice(own, end + END.length);
  }
  const legacy = doc.indexOf(LEGACY_BEGIN);
  if (legacy >= 0) {
    const end = doc.indexOf(END, legacy);
    if (end > legacy && new RegExp(`Node v${nodeMajor}\\.`).test(doc.slice(legacy, end))) {
      return splice(legacy, end + END.length);
    }
  }
  // After the last generated section (another Node version's), else where the old heading was.
  const lastEnd = doc.lastIndexOf(END);
  if (lastEnd >= 0) {
    const at = lastEnd + END.length;
    const after = doc.slice(at).replace(/^\n+/, '');
    return `${doc.slice(0, at)}\n\n${block}${after === '' ? '' : `\n${after}`}`;
  }
  if (doc.trim() === '') return `# Benchmarks\n\n${block}`;
  const heading = doc.indexOf('## Sidecar proxy');
  if (heading >= 0) {
    const next = doc.indexOf('\n## ', heading + 1);
    return splice(heading, next >= 0 ? next + 1 : doc.length);
  }
  return `${doc.trimEnd()}\n\n${block}`;
}

/** The mesh row's start-up and GC lines for docs/benchmarks.md, or why there are none. */
export function readinessText(mesh) {
  if (mesh === undefined) return 'Mesh start-up and GC: not measured (the mesh row did not run).';
  const r = mesh.readiness;
  const steps = r
    ? Object.entries(r.steps)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : '';
  const ready = r
    ? `Mesh client sidecar exec → ready (ms): ${r.runs.map((x) => x.toFixed(0)).join(', ')}; median of each step in ms since its process started: ${steps}.`
    : 'Mesh client sidecar exec → ready: not measured.';
  const g = mesh.gc;
  const gc = g
    ? `Client sidecar GC during the reported 1k req/s run: ${g.count} collections (${g.youngCount} young), longest scavenge ${g.maxYoungPauseMs ?? '—'} ms, longest full GC ${g.maxFullPauseMs ?? '—'} ms; longest pause of each run: ${mesh.gcMaxPauseRuns.join(', ')} ms.`
    : 'Client sidecar GC: not measured.';
  return `${ready}\n${gc}`;
}
