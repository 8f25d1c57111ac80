/**
 * Reading a folder of manifests into resources: which files, each file's resources with their
 * origin (file, line, field lines), and the problems found. Shared by the folder source and
 * `weft validate`, so both report the same `file:line` errors.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describeError } from '@weft/core';
import { refOf } from '../model/resource-parse.js';
import { type Origin, type ResourceRef, refKey } from './config-source.js';
import {
  checkManifestSize,
  lineOfMessage,
  type ManifestDocument,
  type ManifestFileResult,
  parseManifestText,
} from './manifest-file.js';

/** A problem in one file of the folder; a warning (a kind weft does not read) rejects nothing. */
export interface FolderError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** `file:line: message`, the form every weft command prints a folder problem in. */
export function formatFolderError(p: FolderError): string {
  return `${p.file}:${p.line}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

/** One resource read from a file. */
export interface Entry {
  readonly ref: ResourceRef;
  readonly object: unknown;
  readonly json: string;
  readonly origin: Origin;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** The manifest files under `dir` (recursively, skipping hidden files and folders), sorted. */
export async function listManifests(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }))
    .filter((n) => MANIFEST.test(n) && !n.split('/').some((p) => p.startsWith('.')))
    .sort()
    .map((n) => join(dir, n));
}

/** How a file is named in messages: relative to the working directory when under it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/**
 * One file's resources and problems. `entries` is undefined when the file as a whole could not
 * be read (missing, too large, malformed YAML), so that its last good resources keep serving.
 */
export async function readManifestFile(
  file: string,
): Promise<{ entries: Entry[] | undefined; problems: FolderError[] }> {
  const display = displayPath(file);
  let result: ManifestFileResult;
  try {
    const info = await stat(file);
    result = checkManifestSize(info.size) ?? parseManifestText(await readFile(file, 'utf8'));
  } catch (err) {
    return {
      entries: undefined,
      problems: [{ file: display, line: 0, message: describeError(err), severity: 'error' }],
    };
  }
  if (result.type === 'error') {
    const message = `${result.message}; the file's previous resources keep serving`;
    return {
      entries: undefined,
      problems: [{ file: display, line: result.line, message, severity: 'error' }],
    };
  }
  return entriesOf(display, result.documents);
}

/** The resources of one file's documents; other documents are problems (a foreign kind warns). */
export function entriesOf(
  file: string,
  documents: readonly ManifestDocument[],
): { entries: Entry[]; problems: FolderError[] } {
  const entries: Entry[] = [];
  const problems: FolderError[] = [];
  for (const doc of documents) {
    const r = refOf(doc.object, 'default');
    if (r.type === 'ref') {
      entries.push({
        ref: r.ref,
        object: doc.object,
        json: JSON.stringify(doc.object),
        origin: { source: 'folder', file, line: doc.line, fieldLines: doc.fieldLines },
      });
      continue;
    }
    const o = doc.object as { kind?: unknown; metadata?: { name?: unknown } } | null;
    const kind = typeof o?.kind === 'string' ? o.kind : '?';
    const name = typeof o?.metadata?.name === 'string' ? o.metadata.name : '?';
    const ignored = r.type === 'ignored';
    problems.push({
      file,
      line: lineOfMessage(doc.fieldLines, ignored ? 'kind:' : r.message, doc.line),
      message: `${kind}/${name}: ${ignored ? `${r.reason}; ignored` : r.message}`,
      severity: ignored ? 'warning' : 'error',
    });
  }
  return { entries, problems };
}

/** Merges files' entries by resource; a second definition of one resource is a problem. */
export function mergeEntries(files: Iterable<readonly Entry[]>, problems: FolderError[]): Map<string, Entry> {
  const merged = new Map<string, Entry>();
  for (const entries of files) {
    for (const e of entries) {
      const key = refKey(e.ref);
      const first = merged.get(key);
      if (first === undefined) {
        merged.set(key, e);
        continue;
      }
      problems.push({
        file: e.origin.file ?? '?',
        line: e.origin.line ?? 0,
        message: `${e.ref.kind}/${e.ref.name}: ${e.ref.kind} ${e.ref.namespace}/${e.ref.name} is already defined at ${first.origin.file}:${first.origin.line}; this copy is ignored`,
        severity: 'error',
      });
    }
  }
  return merged;
}
