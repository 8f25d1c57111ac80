/**
 * A mirrored gRPC call as the outbound path sees it: an h2 {@link Exchange} with no client
 * behind it. gRPC servers speak nothing but HTTP/2, so a copy of a gRPC call goes as one: the
 * resolve and traffic layers pick the endpoint (mTLS with the gateway's identity to a meshed
 * mirror, h2c to its own address outside the mesh), and the copy is sent once on a pooled session
 * with its body already in memory; the response (head, messages, trailers) is read and dropped.
 */
import { type ClientHttp2Stream, constants, type OutgoingHttpHeaders } from 'node:http2';
import { WeftError } from '@weft/core';
import type { Destination } from '../discovery/resolver.js';
import { cancelUpstream } from '../http2/h2-cancel.js';
import type { H2Pool } from '../http2/h2-pool.js';
import type {
  AttemptChannel,
  AttemptObserver,
  AttemptOptions,
  Exchange,
  ExchangeTelemetry,
  PeerInfo,
} from '../layers/types.js';
import { guard } from '../net/guard.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { MirrorCopyInit, MirrorOutcome } from './mirror-exchange.js';

/** A gRPC call's copy: its body is the client's DATA payloads. */
export interface MirrorH2ExchangeInit extends MirrorCopyInit {
  /** The request headers to send, pseudo-headers included (`:authority`, `:path` as edited). */
  readonly headers: OutgoingHttpHeaders;
  readonly pool: H2Pool;
}

export class MirrorH2Exchange implements Exchange {
  readonly protocol = 'h2' as const;
  readonly direction = 'outbound' as const;
  readonly startedAt: number;
  destination: Destination | undefined;
  upstream: UpstreamTarget | undefined;
  /** None: the gateway counts mirrors itself; the backend's traffic counters still see them. */
  telemetry: ExchangeTelemetry | undefined;
  private up: ClientHttp2Stream | undefined;
  private over = false;

  constructor(private readonly init: MirrorH2ExchangeInit) {
    this.startedAt = init.startedAt;
  }

  get method(): string {
    return String(this.init.headers[':method'] ?? 'POST');
  }
  get path(): string {
    return String(this.init.headers[':path'] ?? '/');
  }
  get authority(): string {
    return String(this.init.headers[':authority'] ?? '');
  }
  get peer(): PeerInfo {
    return this.init.info.peer;
  }
  get name(): string {
    return this.init.info.name;
  }
  get egress(): UpstreamTarget | undefined {
    return this.init.info.egress;
  }
  get port(): number {
    return this.init.info.port;
  }

  header(lower: string): string | undefined {
    const v = this.init.headers[lower];
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }

  /** None: a copy is sent once (`forward`), never retried. */
  attempts(_observer: AttemptObserver, _options: AttemptOptions): AttemptChannel | undefined {
    return undefined;
  }

  forward(upstream: UpstreamTarget): void {
    this.upstream = upstream;
    this.init.pool.session(upstream).then(
      (session) => {
        if (this.over) return;
        let up: ClientHttp2Stream;
        try {
          up = guard(session.request(this.init.headers, { endStream: false }));
        } catch (err) {
          this.fail(new WeftError('UNAVAILABLE', `mirror session unusable: ${String(err)}`));
          return;
        }
        this.up = up;
        let status = 0;
        up.on('response', (h) => {
          status = Number(h[':status'] ?? 0);
        });
        // Read and drop the response; its end (a clean close after END_STREAM) is the copy's end.
        up.resume();
        up.on('close', () => {
          if (status !== 0 && up.rstCode === constants.NGHTTP2_NO_ERROR)
            this.finish({ type: 'response', status });
          else
            this.finish({
              type: 'failed',
              error: new WeftError('UNAVAILABLE', `mirror stream closed (code ${up.rstCode})`),
            });
        });
        // At most MAX_MIRROR_BODY_BYTES: the session buffers it within its flow-control window.
        for (const chunk of this.init.body) up.write(chunk);
        up.end();
      },
      (err: unknown) => {
        this.fail(new WeftError('UNAVAILABLE', `cannot reach ${upstream.address}: ${String(err)}`));
      },
    );
  }

  fail(error: WeftError): void {
    this.finish({ type: 'failed', error });
  }

  /** Gives the copy up now (its timeout): the stream in flight is cancelled. */
  cancel(error: WeftError): void {
    if (this.over) return;
    this.finish({ type: 'failed', error });
    if (this.up !== undefined) cancelUpstream(this.up);
  }

  private finish(outcome: MirrorOutcome): void {
    if (this.over) return;
    this.over = true;
    this.init.done(outcome);
  }
}
