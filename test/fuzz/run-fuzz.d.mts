// Types of run-fuzz.mjs (a plain ESM script shared by `npm run fuzz` and the vitest suite).
import type { FuzzTarget } from './targets/registry.mjs';

/** How long and where one target runs. */
export interface RunOptions {
  readonly seconds: number;
  readonly runs?: number;
  readonly seed?: number;
  readonly work: string;
  readonly quiet: boolean;
  /** Jazzer's bug detectors a target opts into (default true). */
  readonly bugDetectors?: boolean;
}

/** What one run did, from libFuzzer's output. */
export interface RunResult {
  readonly name: string;
  readonly exitCode: number | string;
  readonly logFile: string;
  readonly runs: number;
  readonly seconds: number | undefined;
  readonly coverage: number;
  readonly features: number;
  readonly corpus: string;
  readonly artifact: string | undefined;
  readonly log: string;
}

export function runTarget(target: FuzzTarget, options: RunOptions): Promise<RunResult>;
