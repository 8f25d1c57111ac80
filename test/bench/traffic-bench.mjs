#!/usr/bin/env node
// Micro-benchmarks of traffic decisions (route matching, endpoint picking, splits) with vitest bench.
// Each bench iteration makes 1,000 decisions; this prints ns per decision (median of iterations,
// robust to GC pauses on a shared machine), ratios against the alternative measured in the same
// run, and, last, one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-traffic-'));
const out = join(dir, 'bench.json');
const run = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'bench', '--run', 'packages/core/src', '--outputJson', out],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (run.status !== 0) {
  console.error(`vitest bench failed (exit ${run.status})`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(out, 'utf8'));
rmSync(dir, { recursive: true, force: true });

const results = {};
for (const file of report.files) {
  for (const group of file.groups) {
    const groupName = group.fullName.split(' > ').slice(1).join(' > ');
    for (const b of group.benchmarks) {
      results[`${groupName} / ${b.name}`] = {
        nsPerDecisionMedian: Math.round((b.median * 1e6) / BATCH),
        nsPerDecisionMean: Math.round((b.mean * 1e6) / BATCH),
        samples: b.sampleCount,
      };
    }
  }
}

const ratio = (a, b) => {
  const x = results[a];
  const y = results[b];
  return x && y ? Number((y.nsPerDecisionMedian / x.nsPerDecisionMedian).toFixed(1)) : undefined;
};
const ratios = {
  'route matching 1000 routes: indexed vs linear scan (x faster)': ratio(
    'route matching, 1000 routes (x1000 requests) / RouteTable.match (indexed)',
    'route matching, 1000 routes (x1000 requests) / linear scan in precedence order',
  ),
  'picking 1000 endpoints: P2C peak-EWMA vs full scan (x faster)': ratio(
    'endpoint picking, 1000 endpoints (x1000 picks) / PeakEWMA, equal weights',
    'endpoint picking, 1000 endpoints (x1000 picks) / full scan for the lowest peak-EWMA cost',
  ),
};

console.log('\nns per decision (median / mean):');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `  ${String(r.nsPerDecisionMedian).padStart(7)} / ${String(r.nsPerDecisionMean).padStart(7)}  ${name}`,
  );
}
for (const [name, value] of Object.entries(ratios)) console.log(`  ${name}: ${value}`);
console.log(JSON.stringify({ benchmark: 'traffic', unit: 'ns/decision', results, ratios }));
