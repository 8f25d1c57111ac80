/**
 * A bounded cache of forwarded answers that honours TTLs (RFC 1035) and caches negative answers
 * for the SOA's minimum (RFC 2308). Least recently used entries go first when it is full. Time
 * comes from an injected clock.
 */
import type { Clock } from '@weft/core';
import type { Answer, DecodedPacket } from 'dns-packet';

/** Limits of the cache. */
export interface AnswerCacheOptions {
  /** Most entries held (questions, by name, type and class). */
  readonly maxEntries: number;
  /** Longest a positive answer is kept, whatever its TTL (seconds). */
  readonly maxTtlSeconds: number;
  /** Longest a negative answer (NXDOMAIN, or no data) is kept (seconds). */
  readonly maxNegativeTtlSeconds: number;
}

export const DEFAULT_ANSWER_CACHE: AnswerCacheOptions = {
  maxEntries: 10_000,
  maxTtlSeconds: 3600,
  maxNegativeTtlSeconds: 300,
};

/** A cached answer with its records' TTLs counted down to now. */
export interface CachedAnswer {
  readonly rcode: number;
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
}

interface Entry {
  readonly storedAtMs: number;
  readonly expiresAtMs: number;
  readonly rcode: number;
  readonly answers: readonly Answer[];
  readonly authorities: readonly Answer[];
  readonly additionals: readonly Answer[];
}

const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const RCODE_NUMBERS: Readonly<Record<string, number>> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };

/** The numeric rcode of a decoded packet (dns-packet gives its name). */
export function rcodeOf(packet: DecodedPacket): number {
  const name = (packet as { rcode?: string }).rcode ?? 'NOERROR';
  return RCODE_NUMBERS[name] ?? -1;
}

/** The key of a question: name (lower case), type and class. */
export function questionKey(name: string, type: string, klass: string): string {
  return `${name.toLowerCase()}|${type}|${klass}`;
}

/**
 * How long `response` may be cached in seconds, or 0 when it must not be: positive answers for
 * their smallest TTL, NXDOMAIN and no-data answers for min(SOA TTL, SOA minimum) when the
 * authority section carries a SOA, nothing else (SERVFAIL, truncated, other rcodes).
 */
export function cacheableTtl(response: DecodedPacket, options: AnswerCacheOptions): number {
  if (response.flag_tc) return 0;
  const rcode = rcodeOf(response);
  const answers = (response.answers ?? []).filter((a) => a.type !== 'OPT');
  if (rcode === RCODE_NOERROR && answers.length > 0) {
    let ttl = options.maxTtlSeconds;
    for (const a of answers) ttl = Math.min(ttl, ttlOf(a));
    return ttl;
  }
  if (rcode !== RCODE_NXDOMAIN && rcode !== RCODE_NOERROR) return 0;
  const soa = (response.authorities ?? []).find((a) => a.type === 'SOA');
  if (soa === undefined || soa.type !== 'SOA') return 0;
  return Math.min(ttlOf(soa), soa.data.minimum ?? 0, options.maxNegativeTtlSeconds);
}

function ttlOf(a: Answer): number {
  return 'ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  /** Lookups that found a live entry, and that did not. */
  hits = 0;
  misses = 0;

  constructor(
    private readonly clock: Clock,
    readonly options: AnswerCacheOptions = DEFAULT_ANSWER_CACHE,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Stores `response` under `key` when it is cacheable; returns the TTL used (0: not stored). */
  store(key: string, response: DecodedPacket): number {
    const ttl = cacheableTtl(response, this.options);
    if (ttl <= 0) return 0;
    const now = this.clock.monotonic();
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, {
      storedAtMs: now,
      expiresAtMs: now + ttl * 1000,
      rcode: rcodeOf(response),
      answers: (response.answers ?? []).filter((a) => a.type !== 'OPT'),
      authorities: response.authorities ?? [],
      additionals: (response.additionals ?? []).filter((a) => a.type !== 'OPT'),
    });
    return ttl;
  }

  /** The live answer under `key` with TTLs reduced by its age, or undefined (expired entries go). */
  get(key: string): CachedAnswer | undefined {
    const e = this.entries.get(key);
    const now = this.clock.monotonic();
    if (e === undefined || now >= e.expiresAtMs) {
      if (e !== undefined) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    // Most recently used last: the first key is the eviction candidate.
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    const age = Math.floor((now - e.storedAtMs) / 1000);
    return {
      rcode: e.rcode,
      answers: e.answers.map((a) => aged(a, age)),
      authorities: e.authorities.map((a) => aged(a, age)),
      additionals: e.additionals.map((a) => aged(a, age)),
    };
  }
}

function aged(a: Answer, age: number): Answer {
  if (!('ttl' in a) || typeof a.ttl !== 'number') return a;
  return { ...a, ttl: Math.max(0, a.ttl - age) } as Answer;
}
