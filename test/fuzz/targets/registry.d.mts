// Types of registry.mjs (a plain ESM script shared by `npm run fuzz` and the vitest suite).

/** One fuzz target and its folders. */
export interface FuzzTarget {
  readonly name: string;
  readonly file: string;
  readonly corpus: string;
  readonly regressions: string;
  readonly dictionary: string;
}

export const TARGETS_DIR: string;
export const FUZZ_DIR: string;
export const REPO_DIR: string;
export function listTargets(): FuzzTarget[];
