// Fuzz targets in `npm test`: every regression and seed input replayed as a plain case (no fuzzer
// needed), then a short, bounded, seeded Jazzer.js run of each target that must find nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTarget } from './run-fuzz.mjs';
import { listTargets } from './targets/registry.mjs';

const SHORT_RUNS = 4000;
const work = mkdtempSync(join(tmpdir(), 'weft-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function inputs(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
}

const targets = listTargets();

describe('fuzz targets', () => {
  it('has the targets the security issue asks for, each with seeds', () => {
    const names = targets.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['admission-review', 'discovery-validate', 'http1-body', 'http1-head']),
    );
    for (const t of targets) expect(inputs(t.corpus).length, t.name).toBeGreaterThan(0);
  });

  for (const target of targets) {
    describe(target.name, () => {
      for (const file of [...inputs(target.regressions), ...inputs(target.corpus)]) {
        it(`replays ${file.slice(file.indexOf('test/fuzz/'))}`, async () => {
          const mod = await import(target.file);
          await mod.fuzz(readFileSync(file));
        });
      }

      it(`survives a short fuzzing run (${SHORT_RUNS} inputs, seed 1)`, async () => {
        const result = await runTarget(target, {
          seconds: 60,
          runs: SHORT_RUNS,
          seed: 1,
          work,
          quiet: true,
          bugDetectors: false,
        });
        const tail = result.log.slice(-3000);
        expect(result.exitCode, `jazzer log tail:\n${tail}`).toBe(0);
        expect(result.runs, tail).toBeGreaterThanOrEqual(SHORT_RUNS);
        expect(result.coverage, tail).toBeGreaterThan(0);
      }, 90_000);
    });
  }
});
