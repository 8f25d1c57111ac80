/**
 * `weft validate`: reads manifests exactly as the folder source does and runs them through the
 * mesh model, without serving anything, so it reports the same `file:line` errors `weft up` does.
 */
import { stat } from 'node:fs/promises';
import { describeError } from '@weft/core';
import { MeshState } from '../model/mesh-state.js';
import type { SourceEvent } from './config-source.js';
import {
  displayPath,
  type Entry,
  type FolderError,
  formatFolderError,
  listManifests,
  mergeEntries,
  readManifestFile,
} from './manifest-entries.js';
import { formatRejection, rejectionLine } from './rejection.js';

/** What to validate: folders (recursively) and single files. */
export interface ValidateOptions {
  readonly dirs?: readonly string[];
  readonly files?: readonly string[];
}

/** One finding, sorted by file and line in {@link ValidationReport}. */
export interface ValidationFinding {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'warning';
  /** `file:line: Kind/name: reason`. */
  readonly text: string;
}

/** The outcome of a validation: every finding, and how many resources were read. */
export interface ValidationReport {
  readonly findings: readonly ValidationFinding[];
  readonly resources: number;
  /** Resources the mesh would reject (errors; warnings reject nothing). */
  readonly rejected: number;
}

/** Validates manifests without a control plane. Never throws for bad input: it reports it. */
export async function validateManifests(options: ValidateOptions): Promise<ValidationReport> {
  const problems: FolderError[] = [];
  const files: string[] = [];
  for (const dir of options.dirs ?? []) {
    try {
      const info = await stat(dir);
      if (!info.isDirectory()) throw new Error('not a directory');
      files.push(...(await listManifests(dir)));
    } catch (err) {
      problems.push({ file: displayPath(dir), line: 0, message: describeError(err), severity: 'error' });
    }
  }
  files.push(...(options.files ?? []));
  const read: Entry[][] = [];
  for (const file of files) {
    const result = await readManifestFile(file);
    problems.push(...result.problems);
    if (result.entries !== undefined) read.push(result.entries);
  }
  const merged = mergeEntries(read, problems);
  const state = new MeshState();
  const events: SourceEvent[] = [...merged.values()].map((e) => ({
    type: 'upsert',
    ref: e.ref,
    object: e.object,
    origin: e.origin,
  }));
  state.apply(events);
  const findings: ValidationFinding[] = problems.map((p) => ({
    file: p.file,
    line: p.line,
    severity: p.severity,
    text: formatFolderError(p),
  }));
  let rejected = 0;
  for (const { ref, origin, condition } of state.allConditions()) {
    if (condition.status !== 'rejected') continue;
    rejected++;
    findings.push({
      file: origin.file ?? '',
      line: rejectionLine(origin, condition.message) ?? 0,
      severity: 'error',
      text: formatRejection(ref, origin, condition.message, condition.reason),
    });
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  rejected += problems.filter((p) => p.severity === 'error').length;
  return { findings, resources: merged.size, rejected };
}
