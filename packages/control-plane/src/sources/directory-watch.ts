/**
 * Watches one folder (not recursively) and calls back once after a burst of changes: a mounted
 * ConfigMap or Secret changes by a symlink swap (several events), an editor by write-and-rename.
 * Used by the mesh config file and the identity folder; the manifests folder, which is watched
 * recursively, uses chokidar instead (see folder-source.ts).
 */
import { type FSWatcher, watch } from 'node:fs';
import type { Clock, TimerHandle } from '@weft/core';

export interface DirectoryWatchOptions {
  readonly dir: string;
  readonly clock: Clock;
  /** Quiet time after the last event before `onChange` (ms); default 200. */
  readonly debounceMs?: number;
  /** Called once per burst of events. */
  readonly onChange: () => void;
  /** The watch failed and has stopped (the caller logs it, and may go on checking on a timer). */
  readonly onError: (err: Error) => void;
}

/** A running folder watch. */
export interface DirectoryWatch {
  close(): void;
}

/** Starts watching; throws when the folder cannot be watched at all (e.g. it does not exist). */
export function watchDirectory(options: DirectoryWatchOptions): DirectoryWatch {
  let timer: TimerHandle | undefined;
  let watcher: FSWatcher | undefined;
  const close = () => {
    timer?.cancel();
    timer = undefined;
    watcher?.close();
    watcher = undefined;
  };
  watcher = watch(options.dir, { persistent: false }, () => {
    timer?.cancel();
    timer = options.clock.setTimeout(options.onChange, options.debounceMs ?? 200);
  });
  watcher.on('error', (err) => {
    close();
    options.onError(err);
  });
  return { close };
}
