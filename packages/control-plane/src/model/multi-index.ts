/** A map from a key to a set of values, for the reverse indexes of the mesh state. */
export class MultiIndex<V> {
  private readonly map = new Map<string, Set<V>>();

  add(key: string, value: V): void {
    let set = this.map.get(key);
    if (set === undefined) {
      set = new Set();
      this.map.set(key, set);
    }
    set.add(value);
  }

  delete(key: string, value: V): void {
    const set = this.map.get(key);
    if (set === undefined) return;
    set.delete(value);
    if (set.size === 0) this.map.delete(key);
  }

  /** Keys with at least one value. */
  get size(): number {
    return this.map.size;
  }

  get(key: string): ReadonlySet<V> {
    return this.map.get(key) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<never> = new Set();
