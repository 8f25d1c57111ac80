// Measuring started targets: every phase runs over all targets in turn (interleaved), so
// that noise from other work on this shared machine falls on all of them alike. The
// target's processes are sampled from /proc (CPU seconds, RSS) while the load runs.
import { summarizeGcTrace } from './gc-trace.mjs';
import { fixedRateLatency, maxThroughput, tcpThroughput } from './load.mjs';
import { coreBusy, coreTimes, sample, withDescendants } from './processes.mjs';

/**
 * Runs `fn` while sampling `roots` every 200 ms; returns fn's result, the CPU share (cores),
 * the peak RSS in MB in total and per root (each with its descendants), and how busy each
 * core of the machine was.
 */
async function sampled(roots, fn) {
  const groups = withDescendants(roots);
  const before = sample(groups);
  const coresBefore = coreTimes();
  const started = process.hrtime.bigint();
  let peakRss = before.rssMb;
  const peakEach = groups.map((group) => sample([group]).rssMb);
  const tick = () => {
    let total = 0;
    groups.forEach((group, i) => {
      const rss = sample([group]).rssMb;
      peakEach[i] = Math.max(peakEach[i], rss);
      total += rss;
    });
    peakRss = Math.max(peakRss, total);
  };
  const timer = setInterval(tick, 200);
  try {
    const value = await fn();
    const after = sample(groups);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    tick();
    const cores = coreBusy(coresBefore, coreTimes());
    return {
      value,
      cpu: (after.cpuSeconds - before.cpuSeconds) / seconds,
      rssBefore: before.rssMb,
      peakRss,
      peakEach,
      cores,
    };
  } finally {
    clearInterval(timer);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `measure(row)` for every live row, `times` times, in turn; failures mark the row. */
async function interleave(rows, times, label, measure) {
  for (let i = 0; i < times; i++) {
    for (const row of rows) {
      if (row.error || !row.target) continue;
      try {
        const run = await measure(row);
        row.runs[label] = [...(row.runs[label] ?? []), run];
        process.stderr.write(`${row.label}: ${label} ${i + 1}/${times}: ${JSON.stringify(run.value)}\n`);
      } catch (err) {
        row.error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${row.label}: ${label} FAILED: ${row.error}\n`);
      }
    }
  }
}

const roots = (row) => row.target.procs.map((p) => p.pid);

/**
 * HTTP rows: `latencyRuns` fixed-rate runs (the run with the median p99 is reported) with
 * RSS and CPU sampled over each, then a warm-up and the best of `rounds` wrk runs (max
 * req/s, with the proxy's CPU share and core use). Sets row.result.
 */
export async function measureHttpRows(rows, plan) {
  const { loadCore } = plan;
  const wrk = (row, seconds) =>
    maxThroughput({ core: loadCore, url: row.target.url, connections: plan.connections, seconds });
  const latency = (row) =>
    fixedRateLatency({
      core: loadCore,
      url: row.target.url,
      rate: plan.rate,
      connections: plan.rateConnections,
      seconds: plan.latencySeconds,
      warmupSeconds: plan.latencyWarmupSeconds,
    });
  // Fixed rate first, on fresh processes: the RSS at 1k req/s is not inflated by the heap a
  // garbage-collected proxy grew during the maximum-throughput runs. A target with a `gcProc`
  // (the mesh's client sidecar, started with --trace-gc) has its GC pauses of each run kept.
  await interleave(rows, plan.latencyRuns, 'latency', async (row) => {
    const gc = row.target.gcProc?.gc;
    if (gc === undefined) return sampled(roots(row), () => latency(row));
    gc.text = '';
    gc.recording = true;
    try {
      const run = await sampled(roots(row), () => latency(row));
      return { ...run, gc: summarizeGcTrace(gc.text) };
    } finally {
      gc.recording = false;
    }
  });
  await interleave(rows, 1, 'warm-up', async (row) => ({ value: await wrk(row, plan.warmupSeconds) }));
  await interleave(rows, plan.rounds, 'max', (row) => sampled(roots(row), () => wrk(row, plan.maxSeconds)));
  for (const row of rows) {
    if (row.error || !row.target) continue;
    const best = row.runs.max.reduce((a, b) => (b.value > a.value ? b : a));
    const p99s = row.runs.latency.map((r) => r.value.p99);
    const kept = row.runs.latency.find((r) => r.value.p99 === median(p99s));
    row.result = {
      maxRps: best.value,
      maxRpsRuns: row.runs.max.map((r) => Math.round(r.value)),
      cpuAtMax: best.cpu,
      coresAtMax: best.cores,
      latency: kept.value,
      p99Runs: p99s,
      rssIdleMb: row.runs.latency[0].rssBefore,
      rssMb: kept.peakRss,
      rssMbPerProcess: kept.peakEach.length > 0 ? Math.max(...kept.peakEach) : undefined,
      cpuPer1k: kept.cpu / (kept.value.achievedRate / 1000),
      // Of the reported run (the same one as the p99), without the per-event list.
      gc: kept.gc === undefined ? undefined : { ...kept.gc, events: undefined },
      gcMaxPauseRuns: row.runs.latency.map((r) => r.gc?.maxPauseMs).filter((v) => v !== undefined),
      readyMs: row.target.readiness?.readyMs,
      readiness: row.target.readiness,
    };
  }
}

/** TCP rows: the best of `rounds` iperf3 runs through each target, with the proxy's CPU share. */
export async function measureTcpRows(rows, plan) {
  const iperf = (row) =>
    tcpThroughput({ core: plan.loadCore, port: row.target.port, seconds: plan.tcpSeconds });
  await interleave(rows, plan.rounds, 'tcp', (row) => sampled(roots(row), () => iperf(row)));
  for (const row of rows) {
    if (row.error || !row.target) continue;
    const best = row.runs.tcp.reduce((a, b) => (b.value > a.value ? b : a));
    row.result = {
      gbps: best.value,
      cpu: best.cpu,
      cores: best.cores,
      gbpsRuns: row.runs.tcp.map((r) => r.value),
    };
  }
}
