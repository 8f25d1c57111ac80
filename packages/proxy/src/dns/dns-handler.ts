/**
 * Answers one DNS message: mesh Service names from discovery (A/AAAA, NXDOMAIN for unknown
 * Service names under the cluster domain), everything else forwarded to the upstream resolvers
 * through the answer cache. Malformed packets are dropped and counted; nothing a client sends
 * can throw out of `handle`. The sockets live in dns-server.ts.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Clock } from '@weft/core';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import * as packet from 'dns-packet';
import { type AnswerCache, questionKey, rcodeOf } from './answer-cache.js';
import type { DnsAnswerKind, DnsMetrics } from './dns-metrics.js';
import type { LookedUpNames } from './looked-up-names.js';
import { classifyName, type MeshNaming, normalizeName } from './mesh-names.js';
import type { MeshRecord, MeshRecordSource } from './mesh-records.js';
import type { Upstream } from './upstream.js';

export interface DnsHandlerOptions {
  readonly naming: MeshNaming;
  /** Mesh records; undefined without a control plane (then every name is forwarded). */
  readonly records: MeshRecordSource | undefined;
  readonly upstream: Upstream;
  readonly cache: AnswerCache;
  readonly clock: Clock;
  readonly metrics: DnsMetrics;
  readonly lookups: LookedUpNames;
  /** How long a query for a mesh name not yet known waits for the control plane (ms). */
  readonly meshWaitMs: number;
  /** TTL and SOA minimum of the proxy's own NXDOMAIN and no-data answers (seconds). */
  readonly negativeTtlSeconds: number;
  /** Most forwarded queries in flight at once; more are answered SERVFAIL at once. */
  readonly maxInFlight: number;
  /**
   * Called before a mesh answer goes out; a returned promise delays the answer until it settles
   * (local mode opens the loopback listeners the answer points at). Undefined: nothing to wait for.
   */
  readonly beforeMeshAnswer?: (
    fqdn: string,
    record: Extract<MeshRecord, { type: 'addresses' }>,
  ) => Promise<void> | undefined;
}

/** The transport a query came over: UDP answers are limited in size (RFC 1035, RFC 6891). */
export type DnsTransport = 'udp' | 'tcp';

/** A reply to send, or nothing (the packet was dropped). */
export type HandleResult = { readonly type: 'reply'; readonly packet: Buffer } | { readonly type: 'drop' };

const DROP: HandleResult = { type: 'drop' };
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Classic UDP limit without EDNS (RFC 1035 §4.2.1). */
const UDP_CLASSIC = 512;
/** Largest EDNS UDP size honoured: above this, fragmentation makes answers unreliable (DNS flag day 2020 suggests 1232). */
const UDP_MAX = 4096;
/** The EDNS UDP size the proxy advertises in its own answers. */
const EDNS_ADVERTISED = 1232;

function isQueryOpt(a: Answer): a is Extract<Answer, { type: 'OPT' }> {
  return a.type === 'OPT';
}

export class DnsHandler {
  private inFlight = 0;

  constructor(private readonly o: DnsHandlerOptions) {}

  /** Answers `message`; never rejects. */
  async handle(message: Buffer, transport: DnsTransport): Promise<HandleResult> {
    const started = this.o.clock.monotonic();
    let query: DecodedPacket;
    try {
      query = packet.decode(message);
    } catch {
      return this.drop('malformed');
    }
    if (query.type !== 'query') return this.drop('not-a-query');
    const opcode = (query as { opcode?: string }).opcode;
    const questions = query.questions ?? [];
    const opt = (query.additionals ?? []).find(isQueryOpt);
    const limit =
      transport === 'tcp'
        ? 65_535
        : Math.min(UDP_MAX, Math.max(UDP_CLASSIC, opt?.udpPayloadSize ?? UDP_CLASSIC));
    const ctx: Ctx = { query, limit, edns: opt !== undefined };
    if (opcode !== 'QUERY') return this.reply(ctx, started, 'unknown', 'servfail', { rcode: RCODE.NOTIMP });
    const q = questions[0];
    if (questions.length !== 1 || q === undefined) {
      return this.reply(ctx, started, 'unknown', 'servfail', { rcode: RCODE.FORMERR });
    }
    const name = normalizeName(q.name);
    const cls = classifyName(name, this.o.naming);
    const records = this.o.records;
    if (records !== undefined && cls.type !== 'forward') {
      const candidates = cls.type === 'service' ? [cls.fqdn] : cls.candidates;
      for (const fqdn of candidates) {
        // The hot path stays synchronous: only a name not held yet waits for the control plane.
        const r = records.record(fqdn) ?? (await this.waitForRecord(records, fqdn));
        if (r === 'timeout') {
          if (cls.type === 'service')
            return this.reply(ctx, started, q.type, 'servfail', { rcode: RCODE.SERVFAIL });
          continue;
        }
        if (r.type === 'addresses') {
          const ready = this.o.beforeMeshAnswer?.(fqdn, r);
          if (ready !== undefined) await ready;
          return this.meshAnswer(ctx, started, q, r);
        }
      }
      if (cls.type === 'service') {
        return this.reply(ctx, started, q.type, 'nxdomain', {
          rcode: RCODE.NXDOMAIN,
          aa: true,
          authorities: [this.soa()],
        });
      }
    }
    return this.forward(ctx, started, message, q, transport);
  }

  private async waitForRecord(records: MeshRecordSource, fqdn: string): Promise<MeshRecord | 'timeout'> {
    const waited = await records.waitRecord(fqdn, this.o.meshWaitMs);
    return waited.type === 'timeout' ? 'timeout' : waited;
  }

  private meshAnswer(ctx: Ctx, started: number, q: Question, r: Extract<MeshRecord, { type: 'addresses' }>) {
    const answers: Answer[] = [];
    // dns-packet names QTYPE 255 "ANY" although its RecordType union leaves it out.
    const any = (q.type as string) === 'ANY';
    const wantA = q.type === 'A' || any;
    const wantAAAA = q.type === 'AAAA' || any;
    if (q.class === undefined || q.class === 'IN' || q.class === 'ANY') {
      for (const address of r.addresses) {
        if ((wantA && isIPv4(address)) || (wantAAAA && isIPv6(address))) {
          answers.push({
            name: q.name,
            type: isIPv4(address) ? 'A' : 'AAAA',
            ttl: r.ttlSeconds,
            data: address,
          });
        }
      }
    }
    // An existing name without records of the asked type: NOERROR, no data, SOA for negative caching.
    return this.reply(ctx, started, q.type, 'mesh', {
      rcode: RCODE.NOERROR,
      aa: true,
      answers,
      authorities: answers.length === 0 ? [this.soa()] : [],
    });
  }

  private async forward(
    ctx: Ctx,
    started: number,
    message: Buffer,
    q: Question,
    transport: DnsTransport,
  ): Promise<HandleResult> {
    const key = questionKey(q.name, q.type, q.class ?? 'IN');
    const cached = this.o.cache.get(key);
    if (cached !== undefined) {
      this.o.metrics.cache.inc({ result: 'hit' });
      return this.reply(ctx, started, q.type, 'forwarded', {
        rcode: cached.rcode,
        answers: cached.answers,
        authorities: cached.authorities,
        additionals: cached.additionals,
      });
    }
    this.o.metrics.cache.inc({ result: 'miss' });
    if (this.inFlight >= this.o.maxInFlight) {
      return this.reply(ctx, started, q.type, 'servfail', { rcode: RCODE.SERVFAIL });
    }
    this.inFlight++;
    let result: Awaited<ReturnType<Upstream['forward']>>;
    try {
      result = await this.o.upstream.forward(message, transport);
    } finally {
      this.inFlight--;
    }
    if (result.type === 'failed')
      return this.reply(ctx, started, q.type, 'servfail', { rcode: RCODE.SERVFAIL });
    let answer: DecodedPacket;
    try {
      answer = packet.decode(result.packet);
    } catch {
      this.o.metrics.dropped.inc({ reason: 'malformed-upstream-answer' });
      return this.reply(ctx, started, q.type, 'servfail', { rcode: RCODE.SERVFAIL });
    }
    this.o.cache.store(key, answer);
    if (result.packet.length > ctx.limit)
      return this.truncated(ctx, started, q.type, 'forwarded', rcodeOf(answer));
    this.finish(ctx, started, q.type, 'forwarded');
    return { type: 'reply', packet: result.packet };
  }

  /** The SOA of the cluster domain, carried by the proxy's negative answers (RFC 2308). */
  private soa(): Answer {
    const cd = this.o.naming.clusterDomain;
    const ttl = this.o.negativeTtlSeconds;
    return {
      name: cd,
      type: 'SOA',
      ttl,
      data: {
        mname: `ns.dns.${cd}`,
        rname: `hostmaster.${cd}`,
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86_400,
        minimum: ttl,
      },
    };
  }

  private drop(reason: string): HandleResult {
    this.o.metrics.dropped.inc({ reason });
    this.o.metrics.query('unknown', 'dropped');
    return DROP;
  }

  private finish(ctx: Ctx, started: number, type: string, answer: DnsAnswerKind): void {
    this.o.metrics.query(type, answer);
    this.o.metrics.latency.observe(this.o.clock.monotonic() - started);
    const q = ctx.query.questions?.[0];
    if (q !== undefined) this.o.lookups.record(normalizeName(q.name), q.type, answer);
  }

  private reply(
    ctx: Ctx,
    started: number,
    type: string,
    kind: DnsAnswerKind,
    r: {
      rcode: number;
      aa?: boolean;
      answers?: Answer[];
      authorities?: Answer[];
      additionals?: Answer[];
    },
  ): HandleResult {
    const response: Packet = {
      type: 'response',
      id: ctx.query.id ?? 0,
      flags: this.flags(ctx, r.rcode, r.aa === true),
      questions: ctx.query.questions ?? [],
      answers: r.answers ?? [],
      authorities: r.authorities ?? [],
      additionals: [...(r.additionals ?? []), ...this.opt(ctx)],
    };
    let bytes: Buffer;
    try {
      bytes = packet.encode(response);
    } catch {
      // A record the library decoded but cannot encode again: tell the client to try elsewhere.
      this.o.metrics.dropped.inc({ reason: 'unencodable-answer' });
      return this.reply(ctx, started, type, 'servfail', { rcode: RCODE.SERVFAIL });
    }
    if (bytes.length > ctx.limit) return this.truncated(ctx, started, type, kind, r.rcode);
    this.finish(ctx, started, type, kind);
    return { type: 'reply', packet: bytes };
  }

  /** Header and question only, with TC set: the client retries over TCP (RFC 7766). */
  private truncated(
    ctx: Ctx,
    started: number,
    type: string,
    kind: DnsAnswerKind,
    rcode: number,
  ): HandleResult {
    const bytes = packet.encode({
      type: 'response',
      id: ctx.query.id ?? 0,
      flags: this.flags(ctx, rcode, kind === 'mesh' || kind === 'nxdomain') | packet.TRUNCATED_RESPONSE,
      questions: ctx.query.questions ?? [],
      additionals: this.opt(ctx),
    });
    this.finish(ctx, started, type, kind);
    return { type: 'reply', packet: bytes };
  }

  private flags(ctx: Ctx, rcode: number, authoritative: boolean): number {
    let f = packet.RECURSION_AVAILABLE | (rcode & 0xf);
    if (ctx.query.flag_rd) f |= packet.RECURSION_DESIRED;
    if (ctx.query.flag_cd) f |= packet.CHECKING_DISABLED;
    if (authoritative) f |= packet.AUTHORITATIVE_ANSWER;
    return f;
  }

  private opt(ctx: Ctx): Answer[] {
    if (!ctx.edns) return [];
    return [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: EDNS_ADVERTISED,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ];
  }
}

interface Ctx {
  readonly query: DecodedPacket;
  /** Largest answer the client accepts over this transport. */
  readonly limit: number;
  readonly edns: boolean;
}
