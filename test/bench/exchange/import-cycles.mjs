// Finds import cycles among the .ts files under a folder (type-only imports included: a cycle
// of types is still a cycle of concepts). Prints each cycle and exits 1 if there is any.
//
//   node test/bench/exchange/import-cycles.mjs packages/proxy/src
//
// Only relative imports ('./x.js', '../y/z.js') are followed; test files are skipped.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every non-test .ts file under `dir`, recursively. */
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The import graph: file -> the files (under the same root) it imports. */
export function importGraph(dir) {
  const files = new Set(sources(resolve(dir)));
  const graph = new Map();
  for (const file of files) {
    const edges = [];
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'));
      if (files.has(target)) edges.push(target);
    }
    graph.set(file, edges);
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function findCycles(graph) {
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) !== indexOf.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return cycles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: import-cycles.mjs <dir>');
    process.exit(2);
  }
  const cycles = findCycles(importGraph(dir));
  for (const cycle of cycles) console.log(`cycle: ${cycle.map((f) => relative(dir, f)).join(' <-> ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log(`no import cycles under ${dir}`);
}
