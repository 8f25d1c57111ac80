/** Reads one YAML (or JSON) manifest file into documents with their line numbers, or a precise error. */
import { LineCounter, parseAllDocuments } from 'yaml';

/** One document of a manifest file. */
export interface ManifestDocument {
  readonly object: unknown;
  /** 1-based line where the document starts. */
  readonly line: number;
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
      return { type: 'error', line, message: error.message.split('\n')[0] ?? error.message };
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
    documents.push({ object, line: lineCounter.linePos(start).line });
  }
  return { type: 'ok', documents };
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
