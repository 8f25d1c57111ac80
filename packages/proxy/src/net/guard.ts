/**
 * The crash guard every stream, session and socket the proxy creates or accepts passes through:
 * an 'error' listener that can never be missing, so no event from a peer, an upstream or the
 * app becomes an unhandled 'error' that exits the process. The guard-coverage test scans the
 * proxy's sources and fails when something is created without it.
 */
import type { EventEmitter } from 'node:events';

const guarded = new WeakSet<EventEmitter>();

/**
 * Adds a permanent 'error' listener to `emitter` (once per emitter, however often called) and
 * returns it. `onError` runs for every error, after which the emitter's own close/destroy path
 * (which Node runs for streams and sockets after 'error') does the cleanup; it must not throw.
 */
export function guard<T extends EventEmitter>(emitter: T, onError?: (err: Error) => void): T {
  if (!guarded.has(emitter)) {
    guarded.add(emitter);
    emitter.on('error', swallow);
  }
  if (onError !== undefined) emitter.on('error', (err: Error) => safely(onError, err));
  return emitter;
}

/** True when `emitter` went through {@link guard} (tests). */
export function isGuarded(emitter: EventEmitter): boolean {
  return guarded.has(emitter);
}

function swallow(): void {}

/** Runs an error callback so that a throw inside it cannot escape an event emit. */
function safely(fn: (err: Error) => void, err: Error): void {
  try {
    fn(err);
  } catch {
    // An error handler that throws must not turn one bad peer into a process exit.
  }
}
