/**
 * A layered ("Sugiyama") layout for the service graph, small enough to read: ranks by longest
 * path from the sources (back edges of cycles ignored), then a few barycenter sweeps to reduce
 * crossings. A mesh's call graph is shallow and mostly acyclic; this draws it left to right
 * without a 100 KB layout library.
 */

export interface LayoutInput {
  readonly nodes: readonly string[];
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

export interface Placed {
  readonly rank: number;
  readonly order: number;
  readonly x: number;
  readonly y: number;
}

export interface LayoutOptions {
  readonly columnWidth: number;
  readonly rowHeight: number;
  readonly margin: number;
}

/** Places every node; equal input gives equal output. */
export function layered(
  input: LayoutInput,
  o: LayoutOptions,
): { placed: Map<string, Placed>; width: number; height: number } {
  const nodes = [...input.nodes].sort();
  const out = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const inn = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of input.edges) {
    if (e.from === e.to || !out.has(e.from) || !out.has(e.to)) continue;
    out.get(e.from)?.push(e.to);
    inn.get(e.to)?.push(e.from);
  }
  // Depth-first: edges to a node on the current path are back edges (a cycle) and ignored.
  const state = new Map<string, 'open' | 'done'>();
  const forward: Array<[string, string]> = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    for (const m of out.get(n) ?? []) {
      if (state.get(m) === 'open') continue;
      forward.push([n, m]);
      if (!state.has(m)) visit(m);
    }
    state.set(n, 'done');
  };
  for (const n of nodes) if ((inn.get(n) ?? []).length === 0 && !state.has(n)) visit(n);
  for (const n of nodes) if (!state.has(n)) visit(n);
  // Longest path ranks over the forward edges (Bellman-style relaxation, bounded by node count).
  const rank = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (let i = 0; i < nodes.length; i++) {
    let changed = false;
    for (const [a, b] of forward) {
      const r = (rank.get(a) ?? 0) + 1;
      if (r > (rank.get(b) ?? 0)) {
        rank.set(b, r);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: string[][] = [];
  for (const n of nodes) {
    const r = rank.get(n) ?? 0;
    const layer = layers[r] ?? [];
    layer.push(n);
    layers[r] = layer;
  }
  const index = new Map<string, number>();
  const reindex = () => {
    for (const layer of layers) {
      for (const [i, n] of (layer ?? []).entries()) index.set(n, i);
    }
  };
  reindex();
  const bary = (n: string, nbrs: string[]) =>
    nbrs.length === 0 ? (index.get(n) ?? 0) : nbrs.reduce((s, m) => s + (index.get(m) ?? 0), 0) / nbrs.length;
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.keys() : [...layers.keys()].reverse().values();
    for (const r of order) {
      const layer = layers[r];
      if (layer === undefined) continue;
      const key = new Map(layer.map((n) => [n, bary(n, (down ? inn : out).get(n) ?? [])]));
      layer.sort((a, b) => (key.get(a) ?? 0) - (key.get(b) ?? 0) || a.localeCompare(b));
      reindex();
    }
  }
  const tallest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const placed = new Map<string, Placed>();
  layers.forEach((layer, r) => {
    const offset = ((tallest - layer.length) * o.rowHeight) / 2;
    for (const [i, n] of layer.entries()) {
      placed.set(n, {
        rank: r,
        order: i,
        x: o.margin + r * o.columnWidth,
        y: o.margin + offset + i * o.rowHeight,
      });
    }
  });
  return {
    placed,
    width: o.margin * 2 + Math.max(0, layers.length - 1) * o.columnWidth,
    height: o.margin * 2 + (tallest - 1) * o.rowHeight,
  };
}
