// Parses V8's `--trace-gc` lines (Node 20 and 24 formats) into pauses: how long each collection
// stopped the main thread. Used for `gc_max_pause_ms_at_1k` (the client sidecar at 1k req/s).
//
//   [pid:0x…]   1234 ms: Scavenge 3.9 (4.0) -> 3.7 (5.0) MB, 4.62 / 0.00 ms  (average mu = …) allocation failure;
//   [pid:0x…]   1234 ms: Scavenge (interleaved) 4.7 (5.1) -> 4.4 (6.1) MB, pooled: 0 MB, 19.35 / 0.00 ms  (…)
//   [pid:0x…]   1234 ms: Mark-Compact 13.9 (18.5) -> 10.6 (19.4) MB, 18.39 / 0.00 ms  (+ 2.1 ms in 12 steps …)
// The first number after the sizes is the main-thread pause; the second is time in embedder
// (external) callbacks, included in the first. Incremental marking steps ("+ … ms in N steps")
// are many short pauses spread over time, not one, so they are not the pause.

const LINE =
  /^\[\d+:0x[0-9a-f]+\]\s+(\d+(?:\.\d+)?) ms: (Scavenge|Minor Mark-Sweep|Mark-Compact|Mark-Sweep)\b[^,]*? MB, (?:pooled: [\d.]+ MB, )?(\d+(?:\.\d+)?) \/ (\d+(?:\.\d+)?) ms/;

/** One collection: when (ms since the process started), what kind, and its main-thread pause. */
export function parseGcLine(line) {
  const m = LINE.exec(line.trim());
  if (m === null) return undefined;
  const kind = m[2] === 'Scavenge' || m[2] === 'Minor Mark-Sweep' ? 'young' : 'full';
  return { atMs: Number(m[1]), name: m[2], kind, pauseMs: Number(m[3]) };
}

/**
 * Every collection in `text` (other lines ignored), and the longest pauses: over all, of the
 * young generation (scavenges) and of full collections; null when there was none of a kind.
 */
export function summarizeGcTrace(text) {
  const events = [];
  for (const line of text.split('\n')) {
    const event = parseGcLine(line);
    if (event !== undefined) events.push(event);
  }
  const max = (list) => (list.length === 0 ? null : Math.max(...list.map((e) => e.pauseMs)));
  return {
    count: events.length,
    youngCount: events.filter((e) => e.kind === 'young').length,
    maxPauseMs: max(events),
    maxYoungPauseMs: max(events.filter((e) => e.kind === 'young')),
    maxFullPauseMs: max(events.filter((e) => e.kind === 'full')),
    events,
  };
}
