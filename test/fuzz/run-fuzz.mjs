// Runs fuzz targets with Jazzer.js (libFuzzer), one after another, and prints what each found.
//
//   npm run fuzz -- [--minutes N | --seconds N] [--runs N] [--seed N] [--work DIR] [--quiet]
//                   [--no-bug-detectors] [target ...]
//
// Defaults: every target, 1 minute each, working corpus and crash artifacts under .fuzz/<target>/
// (gitignored; the working corpus grows across runs). Seeds come from test/fuzz/corpus/<target>/,
// and test/fuzz/regressions/<target>/ is replayed first. A crash leaves `crash-<sha1>` in
// .fuzz/<target>/crashes/: fix the bug, then copy the file into test/fuzz/regressions/<target>/.
// Exits 1 when any target found something or could not run. Needs `npm run build:fuzzer`.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listTargets, REPO_DIR } from './targets/registry.mjs';

const require = createRequire(import.meta.url);
const DETECTORS = ['command-injection', 'path-traversal', 'prototype-pollution'];

function options(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      runs: { type: 'string' },
      work: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'no-bug-detectors': { type: 'boolean', default: false },
    },
  });
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? 1) * 60;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--minutes/--seconds must be positive');
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0))
    throw new Error('--runs must be a positive integer');
  const all = listTargets();
  const unknown = positionals.filter((p) => !all.some((t) => t.name === p));
  if (unknown.length > 0) {
    throw new Error(`unknown target(s) ${unknown.join(', ')}; known: ${all.map((t) => t.name).join(', ')}`);
  }
  const targets = positionals.length === 0 ? all : all.filter((t) => positionals.includes(t.name));
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  return {
    seconds: Math.ceil(seconds),
    runs,
    seed,
    work: values.work ?? join(REPO_DIR, '.fuzz'),
    quiet: values.quiet,
    bugDetectors: !values['no-bug-detectors'],
    targets,
  };
}

/** Reads libFuzzer's progress lines: the last `cov:`/`ft:`/`corp:` and the run count. */
function stats(log) {
  const last = (re) => [...log.matchAll(re)].at(-1);
  const progress = last(/#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/g);
  const done = last(/Done (\d+) runs in (\d+) second/g);
  const artifact = last(/Test unit written to (\S+)/g);
  return {
    runs: done ? Number(done[1]) : progress ? Number(progress[1]) : 0,
    seconds: done ? Number(done[2]) : undefined,
    coverage: progress ? Number(progress[2]) : 0,
    features: progress ? Number(progress[3]) : 0,
    corpus: progress ? `${progress[4]} inputs / ${progress[5]}` : '0',
    artifact: artifact?.[1],
  };
}

/** Runs one target; resolves to { name, exitCode, ...stats, log }. */
export async function runTarget(target, { seconds, runs, seed, work, quiet, bugDetectors = true }) {
  const meta = (await import(target.file)).meta ?? {};
  const dir = join(work, target.name);
  const corpus = join(dir, 'corpus');
  const crashes = join(dir, 'crashes');
  mkdirSync(corpus, { recursive: true });
  mkdirSync(crashes, { recursive: true });
  const seeds = [target.corpus, target.regressions].filter((d) => existsSync(d) && readdirSync(d).length > 0);
  const args = [require.resolve('@jazzer.js/core/dist/cli.js'), target.file, corpus, ...seeds];
  for (const include of meta.includes ?? ['*']) args.push('--includes', include);
  if (meta.sync === true) args.push('--sync');
  // Jazzer's bug detectors (command-injection, path-traversal, prototype-pollution) cost seconds of
  // start-up; a target opts into the ones that apply to it with meta.bugDetectors.
  for (const detector of DETECTORS) {
    if (!bugDetectors || !(meta.bugDetectors ?? []).includes(detector))
      args.push('--disableBugDetectors', detector);
  }
  args.push('--', `-max_total_time=${seconds}`, `-artifact_prefix=${crashes}/`, '-print_final_stats=1');
  if (runs !== undefined) args.push(`-runs=${runs}`);
  if (seed !== undefined) args.push(`-seed=${seed}`);
  if (existsSync(target.dictionary)) args.push(`-dict=${target.dictionary}`);
  const logFile = join(dir, 'last-run.log');
  const logStream = createWriteStream(logFile);
  let log = '';
  const child = spawn(process.execPath, args, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) {
    s.on('data', (chunk) => {
      log += chunk;
      if (log.length > 4_000_000) log = log.slice(-2_000_000);
      logStream.write(chunk);
      if (!quiet) process.stderr.write(chunk);
    });
  }
  const exitCode = await new Promise((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal)),
  );
  await new Promise((resolve) => logStream.end(resolve));
  return { name: target.name, exitCode, logFile, ...stats(log), log };
}

async function main() {
  const opts = options(process.argv.slice(2));
  const results = [];
  for (const target of opts.targets) {
    process.stderr.write(
      `fuzz: ${target.name} for ${opts.seconds}s${opts.runs ? ` or ${opts.runs} runs` : ''}\n`,
    );
    results.push(await runTarget(target, opts));
  }
  process.stdout.write('\ntarget                exit  runs        cov    ft     corpus\n');
  for (const r of results) {
    process.stdout.write(
      `${r.name.padEnd(21)} ${String(r.exitCode).padEnd(5)} ${String(r.runs).padEnd(11)} ${String(r.coverage).padEnd(6)} ${String(r.features).padEnd(6)} ${r.corpus}\n`,
    );
    if (r.artifact) process.stdout.write(`  finding: ${r.artifact} (log ${r.logFile})\n`);
  }
  process.exitCode = results.every((r) => r.exitCode === 0) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err) => {
    process.stderr.write(`fuzz: ${err.message}\n`);
    process.exitCode = 2;
  });
}
