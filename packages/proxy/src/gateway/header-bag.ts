/** One view over a request's or response's headers, whichever protocol carries it, for the filters to edit. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { HeaderModifier } from './compiled.js';

/** Headers by lower-case name. Edits apply in place to the protocol's own representation. */
export interface HeaderBag {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  add(name: string, value: string): void;
  remove(name: string): void;
}

/** Over HTTP/1's flat [name, value, ...] list (names as sent; compared case-insensitively). */
export function flatHeaderBag(list: string[]): HeaderBag {
  const indexes = (name: string): number[] => {
    const out: number[] = [];
    for (let i = 0; i < list.length; i += 2) if ((list[i] as string).toLowerCase() === name) out.push(i);
    return out;
  };
  const bag: HeaderBag = {
    get(name) {
      const values = indexes(name).map((i) => list[i + 1] as string);
      return values.length === 0 ? undefined : values.join(', ');
    },
    set(name, value) {
      bag.remove(name);
      list.push(name, value);
    },
    add(name, value) {
      list.push(name, value);
    },
    remove(name) {
      const found = indexes(name);
      for (let k = found.length - 1; k >= 0; k--) list.splice(found[k] as number, 2);
    },
  };
  return bag;
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
  };
}

/** Applies a Gateway API header modifier: set (replace), add (append), remove. */
export function applyHeaderModifier(bag: HeaderBag, m: HeaderModifier): void {
  for (const [name, value] of m.set) bag.set(name, value);
  for (const [name, value] of m.add) bag.add(name, value);
  for (const name of m.remove) bag.remove(name);
}
