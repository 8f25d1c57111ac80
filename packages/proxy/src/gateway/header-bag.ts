/** One view over a request's or response's headers, whichever protocol carries it, for the filters to edit. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { HeaderModifier } from './compiled.js';

/** Headers by lower-case name. Edits apply in place to the protocol's own representation. */
export interface HeaderBag {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  add(name: string, value: string): void;
  remove(name: string): void;
  /** Removes every header whose lower-case name starts with `prefix`. */
  removePrefix(prefix: string): void;
}

/**
 * Over HTTP/1's flat [name, value, ...] list (names as sent; compared case-insensitively). Each
 * name is lower-cased once, when the bag is made: the gateway edits every request's headers.
 */
export function flatHeaderBag(list: string[]): HeaderBag {
  return new FlatHeaderBag(list);
}

class FlatHeaderBag implements HeaderBag {
  /** lower[k] is the lower-case name of the pair at list[2k]. */
  private readonly lower: string[] = [];

  constructor(private readonly list: string[]) {
    for (let i = 0; i < list.length; i += 2) this.lower.push((list[i] as string).toLowerCase());
  }

  get(name: string): string | undefined {
    let out: string | undefined;
    for (let k = 0; k < this.lower.length; k++) {
      if (this.lower[k] !== name) continue;
      const v = this.list[2 * k + 1] as string;
      out = out === undefined ? v : `${out}, ${v}`;
    }
    return out;
  }

  set(name: string, value: string): void {
    this.remove(name);
    this.add(name, value);
  }

  add(name: string, value: string): void {
    this.list.push(name, value);
    this.lower.push(name.toLowerCase());
  }

  remove(name: string): void {
    for (let k = this.lower.length - 1; k >= 0; k--) if (this.lower[k] === name) this.removeAt(k);
  }

  removePrefix(prefix: string): void {
    for (let k = this.lower.length - 1; k >= 0; k--) {
      if ((this.lower[k] as string).startsWith(prefix)) this.removeAt(k);
    }
  }

  private removeAt(k: number): void {
    this.list.splice(2 * k, 2);
    this.lower.splice(k, 1);
  }
}

/** Over node:http2's header object (lower-case keys; repeated values as arrays). */
export function objectHeaderBag(headers: IncomingHttpHeaders | OutgoingHttpHeaders): HeaderBag {
  return {
    get(name) {
      const v = headers[name];
      if (v === undefined) return undefined;
      return Array.isArray(v) ? v.join(', ') : String(v);
    },
    set(name, value) {
      headers[name] = value;
    },
    add(name, value) {
      const v = headers[name];
      if (v === undefined) headers[name] = value;
      else if (Array.isArray(v)) headers[name] = [...v, value];
      else headers[name] = [String(v), value];
    },
    remove(name) {
      delete headers[name];
    },
    removePrefix(prefix) {
      for (const name of Object.keys(headers)) if (name.startsWith(prefix)) delete headers[name];
    },
  };
}

/** Applies a Gateway API header modifier: set (replace), add (append), remove. */
export function applyHeaderModifier(bag: HeaderBag, m: HeaderModifier): void {
  for (const [name, value] of m.set) bag.set(name, value);
  for (const [name, value] of m.add) bag.add(name, value);
  for (const name of m.remove) bag.remove(name);
}
