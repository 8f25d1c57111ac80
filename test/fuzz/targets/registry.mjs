// The fuzz target registry: every `<name>.fuzz.mjs` in this folder is a target named <name>.
//
// A target module exports `fuzz(data: Buffer)` (sync, or async returning a Promise) that throws
// only when an invariant breaks, and `meta` ({ description, includes }) where `includes` are the
// path fragments Jazzer.js instruments for coverage. Adding a target is one file here plus a seed
// folder `test/fuzz/corpus/<name>/`; the runner, `npm run fuzz` and the vitest suite pick it up.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TARGETS_DIR = dirname(fileURLToPath(import.meta.url));
export const FUZZ_DIR = dirname(TARGETS_DIR);
export const REPO_DIR = dirname(dirname(FUZZ_DIR));
const SUFFIX = '.fuzz.mjs';

/** Every target: { name, file, corpus, regressions, dictionary }. */
export function listTargets() {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()
    .map((f) => {
      const name = f.slice(0, -SUFFIX.length);
      return {
        name,
        file: join(TARGETS_DIR, f),
        corpus: join(FUZZ_DIR, 'corpus', name),
        regressions: join(FUZZ_DIR, 'regressions', name),
        dictionary: join(FUZZ_DIR, 'dictionaries', `${name}.dict`),
      };
    });
}
