// Summarizes a V8 .cpuprofile: the functions with the most self time (shares of busy time,
// idle excluded).
// Usage: node test/bench/proxy/cpu-profile.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** [{ name, where, selfMs, share }] sorted by self time, longest first; share of busy time. */
export function topSelfTime(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}\t${url ? `${relative(process.cwd(), url.replace('file://', ''))}:${lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[i] ?? 0));
  }
  selfUs.delete('(idle)\t');
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [name, where] = key.split('\t');
      return { name, where, selfMs: us / 1000, share: us / total };
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  for (const row of topSelfTime(file, Number(top ?? 20))) {
    process.stdout.write(
      `${(row.share * 100).toFixed(1).padStart(5)}%  ${row.selfMs.toFixed(0).padStart(7)} ms  ${row.name}  ${row.where}\n`,
    );
  }
}
