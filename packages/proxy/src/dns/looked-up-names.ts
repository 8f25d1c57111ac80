/**
 * The names a workload looked up, for /config: what it depends on. Bounded: the least recently
 * looked-up names go first once `max` are held, and how many were forgotten is counted.
 */
import type { DnsAnswerKind } from './dns-metrics.js';

/** One name as shown on /config. */
export interface LookedUpName {
  readonly name: string;
  readonly type: string;
  readonly answer: DnsAnswerKind;
  readonly count: number;
}

interface Entry {
  type: string;
  answer: DnsAnswerKind;
  count: number;
}

export class LookedUpNames {
  private readonly names = new Map<string, Entry>();
  /** Names dropped to keep the set bounded. */
  forgotten = 0;

  constructor(private readonly max = 256) {}

  record(name: string, type: string, answer: DnsAnswerKind): void {
    const key = `${name}|${type}`;
    const e = this.names.get(key);
    if (e !== undefined) {
      this.names.delete(key);
      e.answer = answer;
      e.count++;
      this.names.set(key, e);
      return;
    }
    if (this.names.size >= this.max) {
      const oldest = this.names.keys().next();
      if (oldest.done !== true) this.names.delete(oldest.value);
      this.forgotten++;
    }
    this.names.set(key, { type, answer, count: 1 });
  }

  /** Most recent first. */
  list(): LookedUpName[] {
    const out: LookedUpName[] = [];
    for (const [key, e] of this.names) out.push({ name: key.slice(0, key.lastIndexOf('|')), ...e });
    return out.reverse();
  }
}
