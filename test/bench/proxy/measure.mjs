// One benchmark row: drive a started target with the load generators and sample the
// target's processes (CPU seconds, RSS) from /proc while it runs.
import { fixedRateLatency, maxThroughput, tcpThroughput } from './load.mjs';
import { coreBusy, coreTimes, sample, withDescendants } from './processes.mjs';

/**
 * Runs `fn` while sampling `pids` every 200 ms; returns fn's result, the CPU share (cores)
 * and the peak RSS in MB, in total and per PID (each PID with its descendants).
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
    return { value, cpu: (after.cpuSeconds - before.cpuSeconds) / seconds, peakRss, peakEach, cores };
  } finally {
    clearInterval(timer);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * HTTP row: warm up, best of `rounds` wrk runs (max req/s, with the proxy's CPU share),
 * then `latencyRuns` fixed-rate runs (the run with the median p99 is kept) with RSS and
 * CPU sampled over the run.
 */
export async function measureHttp(target, plan) {
  const pids = target.procs.map((p) => p.pid);
  const { loadCore } = plan;
  await maxThroughput({
    core: loadCore,
    url: target.url,
    connections: plan.connections,
    seconds: plan.warmupSeconds,
  });
  let best = { value: 0, cpu: 0 };
  for (let i = 0; i < plan.rounds; i++) {
    const run = await sampled(pids, () =>
      maxThroughput({
        core: loadCore,
        url: target.url,
        connections: plan.connections,
        seconds: plan.maxSeconds,
      }),
    );
    if (run.value > best.value) best = run;
  }
  const runs = [];
  for (let i = 0; i < plan.latencyRuns; i++) {
    runs.push(
      await sampled(pids, () =>
        fixedRateLatency({
          core: loadCore,
          url: target.url,
          rate: plan.rate,
          connections: plan.rateConnections,
          seconds: plan.latencySeconds,
          warmupSeconds: plan.latencyWarmupSeconds,
        }),
      ),
    );
  }
  const p99s = runs.map((r) => r.value.p99);
  const kept = runs.find((r) => r.value.p99 === median(p99s));
  return {
    maxRps: best.value,
    cpuAtMax: best.cpu,
    coresAtMax: best.cores,
    latency: kept.value,
    p99Runs: p99s,
    rssMb: kept.peakRss,
    rssMbPerProcess: Math.max(...kept.peakEach),
    cpuPer1k: kept.cpu / (kept.value.achievedRate / 1000),
  };
}

/** TCP row: best of `rounds` iperf3 runs through the target, with the proxy's CPU share. */
export async function measureTcp(target, plan) {
  const pids = target.procs.map((p) => p.pid);
  let best = { value: 0, cpu: 0 };
  for (let i = 0; i < plan.rounds; i++) {
    const run = await sampled(pids, () =>
      tcpThroughput({ core: plan.loadCore, port: target.port, seconds: plan.tcpSeconds }),
    );
    if (run.value > best.value) best = run;
  }
  return { gbps: best.value, cpu: best.cpu, cores: best.cores };
}
