/**
 * RequestMirror: a copy of the request goes to the mirror backend, fire and forget. The copy is
 * dispatched in the process, through the outbound path the gateway's own requests take (resolve,
 * traffic layer, HTTP/1 attempts and pool, mTLS with the gateway's identity), so no listener is
 * opened for it; a copy of a gRPC call is sent once over HTTP/2 (mirror-h2-exchange.ts). Its response is read and dropped; its failures are counted, never seen by the
 * client. At most `maxInFlight` copies are outstanding (more are skipped and counted) and each
 * is given up after `timeoutMs`.
 *
 * A body is copied as the primary request reads it (mirror-body.ts) and the copy is sent once
 * the body is complete, so the client's exchange never waits for the mirror: a body over
 * MAX_MIRROR_BODY_BYTES, or past the shared MAX_MIRROR_BUFFERED_BYTES, is not mirrored.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { type Clock, WeftError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import type { Http1ConnectionInfo } from '../http1/client-connection.js';
import type { MessageHead } from '../http1/head-parser.js';
import type { Http1Pool } from '../http1/pool.js';
import type { H2Pool } from '../http2/h2-pool.js';
import type { Handler } from '../layers/types.js';
import { upstreamListenerTarget } from '../listeners/outbound.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { type BodyDropReason, MirrorBudget } from './mirror-body.js';
import { MirrorExchange, type MirrorOutcome } from './mirror-exchange.js';
import { MirrorH2Exchange } from './mirror-h2-exchange.js';

/** The outcomes counted in `weft_gateway_mirror_requests_total{result}`. */
export type MirrorResult =
  | 'sent'
  | 'failed'
  | 'timeout'
  | 'skipped-concurrency'
  | 'skipped-body-too-large'
  | 'skipped-memory'
  | 'skipped-body-incomplete';

const DROPPED: Record<BodyDropReason, MirrorResult> = {
  'too-large': 'skipped-body-too-large',
  memory: 'skipped-memory',
  incomplete: 'skipped-body-incomplete',
};

export interface MirrorOptions {
  /** The outbound path a copy takes (resolve, traffic, one attempt or more): never the client's telemetry. */
  readonly handler: Handler;
  /** The HTTP/1 pool copies go through. */
  readonly pool: () => Http1Pool;
  /** The HTTP/2 pool copies of gRPC calls go through. */
  readonly h2Pool: () => H2Pool;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly maxInFlight: number;
  /** Whole-exchange timeout of one copy. */
  readonly timeoutMs: number;
  /** Body bytes held for all copies together (MAX_MIRROR_BUFFERED_BYTES unless a test says less). */
  readonly budget?: MirrorBudget;
}

/**
 * A copy to send: the HTTP/1.1 head (Host, edited headers, the body's framing) and its body;
 * for a gRPC call, the HTTP/2 headers it is sent with instead (gRPC servers speak only HTTP/2).
 */
export interface MirrorCopy {
  readonly head: MessageHead;
  /** Set for a gRPC call: sent over HTTP/2 with these headers (pseudo-headers included). */
  readonly h2Headers?: OutgoingHttpHeaders;
  readonly body: readonly Buffer[];
  /** The client's address (the copy's peer). */
  readonly peer: string;
}

export class Mirror {
  readonly budget: MirrorBudget;
  private inFlight = 0;
  private readonly active = new Set<MirrorExchange | MirrorH2Exchange>();
  private closed = false;

  constructor(private readonly options: MirrorOptions) {
    this.budget = options.budget ?? new MirrorBudget();
  }

  /** Counts a copy that will not be sent because its body could not be held. */
  dropped(reason: BodyDropReason): void {
    this.count(DROPPED[reason]);
  }

  /**
   * Sends `copy` to `authority`; never throws, never waits. `release` is called once the copy
   * is over (sent, failed or skipped): it gives back the body's bytes.
   */
  send(authority: string, copy: MirrorCopy, release: () => void = () => {}): void {
    if (this.closed || this.inFlight >= this.options.maxInFlight) {
      release();
      this.count('skipped-concurrency');
      return;
    }
    this.inFlight++;
    const target = upstreamListenerTarget(authority);
    const info: Http1ConnectionInfo = {
      peer: { identity: undefined, address: copy.peer },
      name: target.name,
      port: target.port,
      egress: target.egress,
    };
    let timer: NodeJS.Timeout | undefined;
    const done = (outcome: MirrorOutcome) => {
      clearTimeout(timer);
      this.active.delete(exchange);
      this.inFlight--;
      release();
      this.finished(authority, outcome);
    };
    const startedAt = this.options.clock.now();
    const exchange =
      copy.h2Headers === undefined
        ? new MirrorExchange({
            head: copy.head,
            body: copy.body,
            info,
            pool: this.options.pool(),
            startedAt,
            done,
          })
        : new MirrorH2Exchange({
            headers: copy.h2Headers,
            body: copy.body,
            info,
            pool: this.options.h2Pool(),
            startedAt,
            done,
          });
    timer = setTimeout(
      () => exchange.cancel(new MirrorTimeout(authority, this.options.timeoutMs)),
      this.options.timeoutMs,
    );
    this.active.add(exchange);
    try {
      this.options.handler(exchange);
    } catch (err) {
      // Handlers never throw; a bug here must not reach the client's request.
      exchange.fail(new WeftError('INTERNAL', `mirror dispatch: ${String(err)}`));
    }
  }

  /** Copies outstanding now. */
  get outstanding(): number {
    return this.inFlight;
  }

  /** Gives up every copy in flight and sends no more. */
  close(): void {
    this.closed = true;
    for (const e of [...this.active]) e.cancel(new WeftError('UNAVAILABLE', 'the gateway is closing'));
  }

  private finished(authority: string, outcome: MirrorOutcome): void {
    if (outcome.type === 'response') {
      this.count('sent');
      return;
    }
    if (outcome.error instanceof MirrorTimeout) {
      this.count('timeout');
      return;
    }
    this.count('failed');
    this.options.logger.debug({ authority, err: outcome.error?.message }, 'mirrored request failed');
  }

  private count(result: MirrorResult): void {
    this.options.metrics.mirrors.inc({ result });
  }
}

/** A copy that took longer than `--mirror-timeout`. */
export class MirrorTimeout extends WeftError {
  constructor(authority: string, ms: number) {
    super('DEADLINE_EXCEEDED', `mirrored request to ${authority} took longer than ${ms} ms`);
    this.name = 'MirrorTimeout';
  }
}
