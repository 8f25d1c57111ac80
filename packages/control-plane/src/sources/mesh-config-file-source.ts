/**
 * The mesh config from a file (a mounted ConfigMap in Kubernetes, or a file beside the manifests):
 * read and validated at start — a bad file stops startup with its path — then watched; a bad
 * later version is reported and the last good one keeps serving.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { type MeshConfig, meshConfigSchema, parseConfig, WEFT_API_VERSION } from '@weft/api';
import { type Clock, describeError, systemClock, WeftError } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import { parse } from 'yaml';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { ConfigSource, EventSink } from './config-source.js';
import { type DirectoryWatch, watchDirectory } from './directory-watch.js';

export interface MeshConfigFileSourceOptions {
  readonly file: string;
  readonly logger?: Logger;
  readonly metrics?: ControlPlaneMetrics;
  readonly clock?: Clock;
  readonly watch?: boolean;
}

const NAME = 'mesh-config-file';

export class MeshConfigFileSource implements ConfigSource {
  readonly name = 'mesh-config';
  private sink: EventSink | undefined;
  private watcher: DirectoryWatch | undefined;
  private last = '';
  private synced = false;
  private readonly logger: Logger;

  constructor(private readonly options: MeshConfigFileSourceOptions) {
    this.logger = options.logger ?? silentLogger();
  }

  /** Reads and validates the file; throws a WeftError naming the file and field. */
  async read(): Promise<{ text: string; config: MeshConfig; raw: unknown }> {
    const file = this.options.file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new WeftError('FAILED_PRECONDITION', `mesh config ${file}: ${describeError(err)}`, {
        cause: err,
      });
    }
    let raw: unknown;
    try {
      raw = parse(text) ?? {};
    } catch (err) {
      throw new WeftError('INVALID_CONFIG', `mesh config ${file}: ${describeError(err)}`, { cause: err });
    }
    try {
      return { text, config: parseConfig(meshConfigSchema, raw, `mesh config ${file}`), raw };
    } catch (err) {
      throw new WeftError('INVALID_CONFIG', describeError(err), { cause: err });
    }
  }

  async start(sink: EventSink): Promise<void> {
    const first = await this.read();
    this.sink = sink;
    this.emit(first.text, first.raw);
    this.synced = true;
    if (this.options.watch ?? true) {
      const clock = this.options.clock ?? systemClock;
      // Watch the directory: a mounted ConfigMap is updated by swapping a symlink.
      this.watcher = watchDirectory({
        dir: dirname(this.options.file),
        clock,
        onChange: () => void this.reload(),
        onError: (err) => this.logger.warn({ err: describeError(err) }, 'mesh config watch failed'),
      });
    }
  }

  /** Re-reads the file; a bad version is logged and counted, the last good one stays. */
  async reload(): Promise<void> {
    try {
      const next = await this.read();
      this.emit(next.text, next.raw);
    } catch (err) {
      this.options.metrics?.sourceErrors.inc({ source: 'mesh-config', reason: 'invalid' });
      this.logger.error(
        { file: this.options.file },
        `${describeError(err)}; the previous mesh config keeps serving`,
      );
    }
  }

  private emit(text: string, spec: unknown): void {
    if (text === this.last) return;
    this.last = text;
    this.sink?.([
      {
        type: 'upsert',
        ref: { kind: 'MeshConfig', namespace: '', name: NAME },
        object: { apiVersion: WEFT_API_VERSION, kind: 'MeshConfig', metadata: { name: NAME }, spec },
        origin: { source: 'mesh-config', file: basename(this.options.file), line: 1 },
      },
    ]);
  }

  ready(): boolean {
    return this.synced;
  }

  async close(): Promise<void> {
    this.watcher?.close();
  }
}
