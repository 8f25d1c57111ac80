/** Which streams watch which model keys: the reverse index that fans a change out to only its subscribers. */
import { MultiIndex } from '../model/multi-index.js';
import type { Connection } from './stream-connection.js';

export class WatchIndex {
  private readonly watchers = new MultiIndex<string>();

  /** Watched model keys (0 once every stream closed). */
  get size(): number {
    return this.watchers.size;
  }

  /** Makes `name` of `conn` depend on exactly `keys`. */
  watch(conn: Connection, name: string, keys: readonly string[]): void {
    const before = conn.watching.get(name);
    if (before !== undefined && before.length === keys.length && before.every((k, i) => k === keys[i]))
      return;
    this.unwatch(conn, name);
    const member = `${conn.session.id}\n${name}`;
    for (const key of keys) this.watchers.add(key, member);
    conn.watching.set(name, keys);
  }

  unwatch(conn: Connection, name: string): void {
    const member = `${conn.session.id}\n${name}`;
    for (const key of conn.watching.get(name) ?? []) this.watchers.delete(key, member);
    conn.watching.delete(name);
  }

  /** Forgets every name of `conn` (its stream closed). */
  unwatchAll(conn: Connection): void {
    for (const name of [...conn.watching.keys()]) this.unwatch(conn, name);
  }

  /** The names per stream id that depend on any of `keys`. */
  affected(keys: Iterable<string>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const key of keys) {
      for (const w of this.watchers.get(key)) {
        const cut = w.indexOf('\n');
        const id = w.slice(0, cut);
        let names = out.get(id);
        if (names === undefined) {
          names = new Set();
          out.set(id, names);
        }
        names.add(w.slice(cut + 1));
      }
    }
    return out;
  }
}
