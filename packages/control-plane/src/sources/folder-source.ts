/**
 * The folder source (local mode): a directory of YAML manifests, reloaded (debounced) when it
 * changes. A file that cannot be read is reported with its path and line, and the resources it
 * held before keep serving.
 *
 * Watching uses chokidar rather than Node's recursive `fs.watch`, which loses a file once it is
 * replaced by rename (what editors, `sed -i` and kubectl-style tools do).
 */
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import {
  type Clock,
  describeError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
  WeftError,
} from '@weft/core';
import { type FSWatcher, watch } from 'chokidar';
import type { ControlPlaneMetrics } from '../metrics.js';
import { type ConfigSource, type EventSink, refKey, type SourceEvent } from './config-source.js';
import { readCertificateFolders } from './folder-certificates.js';
import {
  type Entry,
  type FolderError,
  formatFolderError,
  listManifests,
  mergeEntries,
  readManifestFile,
} from './manifest-entries.js';

export { type FolderError, formatFolderError } from './manifest-entries.js';

export interface FolderSourceOptions {
  readonly dir: string;
  readonly logger?: Logger;
  readonly metrics?: ControlPlaneMetrics;
  readonly clock?: Clock;
  /**
   * Quiet time after the last change before reloading; default 100 ms, at least
   * {@link MIN_DEBOUNCE_MS}.
   */
  readonly debounceMs?: number;
  /** Watch the folder for changes; default true. Without it, call `reload()`. */
  readonly watch?: boolean;
}

/**
 * chokidar drops a file's `change` events for 50 ms after one it reported (leading edge only).
 * Every reload reads the whole folder at least this long after the last event, so a change
 * dropped in that window is still read.
 */
export const MIN_DEBOUNCE_MS = 75;

export class FolderSource implements ConfigSource {
  readonly name = 'folder';
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly lastGood = new Map<string, Entry[]>();
  private current = new Map<string, Entry>();
  private problems: FolderError[] = [];
  private sink: EventSink | undefined;
  private watcher: FSWatcher | undefined;
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private synced = false;
  private closed = false;

  constructor(private readonly options: FolderSourceOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
  }

  async start(sink: EventSink): Promise<void> {
    const info = await stat(this.options.dir).catch((err: unknown) => {
      throw new WeftError('FAILED_PRECONDITION', `config dir ${this.options.dir}: ${describeError(err)}`, {
        cause: err,
      });
    });
    if (!info.isDirectory())
      throw new WeftError('FAILED_PRECONDITION', `config dir ${this.options.dir} is not a directory`);
    this.sink = sink;
    await this.reload();
    this.synced = true;
    if (this.options.watch ?? true) await this.startWatching();
  }

  /** Watches the folder tree; resolves once the initial scan is done, so no later edit is missed. */
  private startWatching(): Promise<void> {
    const dir = this.options.dir;
    const watcher = watch(dir, {
      persistent: false,
      ignoreInitial: true,
      // Hidden files and folders (.git, editor swap files) are not manifests.
      ignored: (path: string) =>
        relative(dir, path)
          .split(sep)
          .some((p) => p.startsWith('.')),
    });
    this.watcher = watcher;
    watcher.on('all', () => this.schedule());
    watcher.on('error', (err) => {
      this.options.metrics?.sourceErrors.inc({ source: 'folder', reason: 'watch' });
      this.logger.warn({ err: describeError(err), dir }, 'folder watch error');
    });
    return new Promise((resolve) => watcher.once('ready', () => resolve()));
  }

  ready(): boolean {
    return this.synced;
  }

  /** The problems found by the last reload. */
  errors(): readonly FolderError[] {
    return this.problems;
  }

  debug(): unknown {
    return { dir: this.options.dir, resources: this.current.size, errors: this.problems };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.watcher?.close();
    await this.chain;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(
      () => {
        this.reload().catch((err: unknown) =>
          this.logger.error({ err: describeError(err) }, 'folder reload failed'),
        );
      },
      Math.max(MIN_DEBOUNCE_MS, this.options.debounceMs ?? 100),
    );
  }

  /** Re-reads the folder and emits what changed. Reloads never overlap. */
  reload(): Promise<void> {
    this.chain = this.chain.then(() => (this.closed ? undefined : this.reloadNow()));
    return this.chain;
  }

  private async reloadNow(): Promise<void> {
    const dir = this.options.dir;
    const problems: FolderError[] = [];
    let files: string[];
    try {
      files = await listManifests(dir);
    } catch (err) {
      this.report([{ file: dir, line: 0, message: describeError(err), severity: 'error' }]);
      return;
    }
    for (const file of files) {
      const read = await readManifestFile(file);
      problems.push(...read.problems);
      // A file that cannot be read keeps its last good entries.
      if (read.entries !== undefined) this.lastGood.set(file, read.entries);
    }
    const seen = new Set(files);
    for (const file of [...this.lastGood.keys()]) if (!seen.has(file)) this.lastGood.delete(file);
    const next = mergeEntries(this.lastGood.values(), problems);
    // certificates/<namespace>/<name>/tls.{crt,key}: a TLS Secret unless a manifest defines one.
    const certificates = await readCertificateFolders(dir);
    problems.push(...certificates.problems);
    for (const e of certificates.entries) if (!next.has(refKey(e.ref))) next.set(refKey(e.ref), e);
    const events: SourceEvent[] = [];
    for (const [key, e] of next) {
      if (this.current.get(key)?.json !== e.json)
        events.push({ type: 'upsert', ref: e.ref, object: e.object, origin: e.origin });
    }
    for (const [key, e] of this.current) if (!next.has(key)) events.push({ type: 'delete', ref: e.ref });
    this.current = next;
    this.report(problems);
    if (events.length > 0 && !this.closed) this.sink?.(events);
  }

  private report(problems: FolderError[]): void {
    const before = new Set(this.problems.map(formatFolderError));
    for (const p of problems) {
      const text = formatFolderError(p);
      if (before.has(text)) continue;
      if (p.severity === 'warning') {
        this.logger.warn({ file: p.file, line: p.line }, text);
        continue;
      }
      this.options.metrics?.sourceErrors.inc({ source: 'folder', reason: 'file' });
      this.logger.error({ file: p.file, line: p.line }, text);
    }
    this.problems = problems;
  }
}
