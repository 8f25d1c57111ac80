/** Reads one YAML (or JSON) manifest file into documents with their line numbers, or a precise error. */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';

/** One document of a manifest file. */
export interface ManifestDocument {
  readonly object: unknown;
  /** 1-based line where the document starts. */
  readonly line: number;
  /** The line of every field, by path as validation errors name it (`spec.backends[1].weight`). */
  readonly fieldLines: ReadonlyMap<string, number>;
}

/** The documents of a file, or where and why it could not be read. */
export type ManifestFileResult =
  | { readonly type: 'ok'; readonly documents: readonly ManifestDocument[] }
  | { readonly type: 'error'; readonly line: number; readonly message: string };

/** Files larger than this are refused (Kubernetes itself refuses objects over ~1.5 MB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Parses a file's text. Any syntax error fails the whole file, so a half-read file never applies. */
export function parseManifestText(text: string): ManifestFileResult {
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  } catch (err) {
    return { type: 'error', line: 1, message: err instanceof Error ? err.message : String(err) };
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const documents: ManifestDocument[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
      const first = (error.message.split('\n')[0] ?? error.message).replace(
        / at line \d+, column \d+:?$/,
        '',
      );
      return { type: 'error', line, message: first };
    }
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return {
        type: 'error',
        line: lineCounter.linePos(doc.range?.[0] ?? 0).line,
        message: err instanceof Error ? err.message : String(err),
      };
    }
    if (object === null || object === undefined) continue;
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const fieldLines = new Map<string, number>();
    if (doc.contents !== null) collectLines(doc.contents, '', lineCounter, fieldLines);
    documents.push({ object, line: lineCounter.linePos(start).line, fieldLines });
  }
  return { type: 'ok', documents };
}

/** Records the line of each field under `node` (a key's line for a mapping entry). */
function collectLines(node: Node, path: string, lines: LineCounter, out: Map<string, number>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const child = path === '' ? key : `${path}.${key}`;
      const at = (pair.key as Node).range?.[0];
      if (at !== undefined) out.set(child, lines.linePos(at).line);
      if (pair.value !== null && typeof pair.value === 'object')
        collectLines(pair.value as Node, child, lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = `${path}[${i}]`;
      const at = (item as Node | null)?.range?.[0];
      if (at !== undefined) out.set(child, lines.linePos(at).line);
      if (item !== null && typeof item === 'object') collectLines(item as Node, child, lines, out);
    });
  }
}

/**
 * The line of the field a message is about: messages start with the field's path
 * (`spec.backends[1].weight: must be …`). Falls back to the nearest enclosing field that exists
 * (a missing required field is reported where its parent is), then to `fallback`.
 */
export function lineOfMessage(
  fieldLines: ReadonlyMap<string, number> | undefined,
  message: string,
  fallback: number,
): number {
  const match = /^([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$/-]+|\[\d+\])*):/.exec(message);
  if (fieldLines === undefined || match?.[1] === undefined) return fallback;
  for (let path = match[1]; path !== ''; ) {
    const line = fieldLines.get(path);
    if (line !== undefined) return line;
    const parent = path.replace(/(\.[^.[]+|\[\d+\])$/, '');
    path = parent === path ? '' : parent;
  }
  return fallback;
}

/** Parses a file given its size first, so an oversized file is refused without reading it. */
export function checkManifestSize(bytes: number): ManifestFileResult | undefined {
  if (bytes <= MAX_MANIFEST_BYTES) return undefined;
  return {
    type: 'error',
    line: 1,
    message: `file is ${(bytes / 1024 / 1024).toFixed(1)} MiB, larger than the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB limit for a manifest file`,
  };
}
