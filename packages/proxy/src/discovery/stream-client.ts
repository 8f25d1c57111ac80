/**
 * The discovery client: one bidirectional stream to the control plane. Sends the node first,
 * subscribes on demand (batched per tick), ACKs valid responses and NACKs invalid ones with
 * the reason (the state keeps its last good config), and reconnects with jittered backoff,
 * re-subscribing to every name it holds. While disconnected, the proxy keeps serving what it had.
 * Names no traffic used for the idle timeout are unsubscribed (and forgotten, traffic state too).
 * A working stream the control plane ends with `weft-reconnect: now` (max stream age, shutdown)
 * is reopened at once, without backoff; each new stream's node names the versions this proxy
 * rejected, so that the replica it reaches does not send them again.
 */

import type { ChannelCredentials, ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import type { DiscoveryClient, DiscoveryRequest, DiscoveryResponse__Output, Node } from '@weft/api';
// The proto loader only: the @weft/api index also evaluates every zod schema (~9 MB RSS).
import { loadDiscoveryProto } from '@weft/api/proto';
import { type Clock, describeError, type Random, systemClock, type TimerHandle } from '@weft/core';
import { Backoff, type Logger } from '@weft/runtime';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import type { DiscoveryState } from './state.js';

export interface DiscoveryClientOptions {
  /** host:port of the control plane's gRPC server. */
  readonly address: string;
  /** Called at every (re)connect, so a rotated client certificate is used. */
  readonly credentials: () => ChannelCredentials;
  /** The node sent first on every stream. */
  readonly node: () => Node;
  readonly state: DiscoveryState;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  readonly random: Random;
  readonly clock?: Clock;
  /**
   * Reconnect backoff; default 100 ms doubling to 5 s, full jitter (each delay uniform in
   * [0, ceiling]). The first retry after a working stream breaks waits at most the base, so a
   * restarted control plane gets its registrations back within a fraction of a second.
   */
  readonly backoff?: { baseMs: number; maxMs: number };
  /**
   * After a reconnect, how long answers that would drop a resolved name's endpoints are held
   * back (the control plane may not have every registration back yet); default 5 s.
   */
  readonly reconnectGraceMs?: number;
  /** Extra gRPC channel options (e.g. the TLS server name override). */
  readonly channelOptions?: Record<string, string | number>;
  /**
   * A name no traffic asked for during this long is unsubscribed and forgotten (its answer and
   * traffic state); the next request for it subscribes again. Checked every half of it, so a
   * name goes between 1x and 1.5x this after its last use. Default {@link DEFAULT_IDLE_UNSUBSCRIBE_MS}; 0 never.
   */
  readonly idleUnsubscribeMs?: number;
}

/** Default idle time after which a name is unsubscribed: 5 minutes. */
export const DEFAULT_IDLE_UNSUBSCRIBE_MS = 300_000;

/** Names per unsubscribe message (a sweep after a burst of churn can find many). */
const UNSUBSCRIBE_BATCH = 1000;

/** Rejected versions remembered (and told to the next stream, which does not re-send them). */
const MAX_REJECTED = 1000;

type Stream = ClientDuplexStream<DiscoveryRequest, DiscoveryResponse__Output>;

export class DiscoveryStreamClient {
  private client: DiscoveryClient | undefined;
  private stream: Stream | undefined;
  private readonly subscribed = new Set<string>();
  private pending = new Set<string>();
  private flushQueued = false;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private graceTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private closed = false;
  /** Resource versions this proxy nacked and does not hold, by name (sent in the node on reconnect). */
  private readonly rejected = new Map<string, string>();
  /** True while a stream is open and has delivered at least one response. */
  connected = false;
  /** Streams opened so far. */
  streams = 0;

  constructor(private readonly options: DiscoveryClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff({
      ...(options.backoff ?? { baseMs: 100, maxMs: 5000 }),
      random: options.random,
      clock: this.clock,
    });
    options.state.onUnknownName = (name) => this.subscribe(name);
    const registry = options.metrics.registry;
    registry.gauge(
      'weft_proxy_discovery_subscriptions',
      'Names subscribed on the discovery stream.',
      () => this.subscribed.size,
    );
    registry.gauge(
      'weft_proxy_discovery_names',
      'Names with an answer from the control plane.',
      () => options.state.stats().names,
    );
    const refused = registry
      .counter(
        'weft_proxy_dns_names_refused_total',
        'New mesh DNS names not subscribed because the proxy held its most (1,024); answered SERVFAIL or searched on.',
      )
      .labels();
    options.state.onDnsNameRefused = () => refused.inc();
    registry.gauge(
      'weft_proxy_traffic_destinations',
      'Destinations with compiled traffic state (balancers, budget, limits).',
      () => options.state.stats().traffic?.destinations ?? 0,
    );
  }

  /** Opens the stream (and keeps it open until close()), and starts the idle sweep. */
  start(): void {
    this.open();
    this.scheduleSweep();
  }

  /**
   * Replaces the open stream with a new one now (e.g. to present a renewed client certificate).
   * The state keeps its config until the new stream answers; with no stream open, the pending
   * retry opens one anyway.
   */
  reconnect(): void {
    const old = this.stream;
    if (this.closed || old === undefined) return;
    this.stream = undefined;
    if (this.connected) this.options.metrics.discovery.inc({ event: 'disconnected' });
    this.connected = false;
    old.removeAllListeners('data');
    old.on('error', () => {});
    old.cancel();
    this.backoff.cancel();
    this.open();
  }

  /** Names currently subscribed (or about to be). */
  get subscriptions(): number {
    return this.subscribed.size;
  }

  private scheduleSweep(): void {
    const idleMs = this.options.idleUnsubscribeMs ?? DEFAULT_IDLE_UNSUBSCRIBE_MS;
    if (idleMs <= 0 || this.closed || this.idleTimer !== undefined) return;
    // A sweep walks every name: never more often than every 100 ms, however short the timeout.
    this.idleTimer = this.clock.setTimeout(
      () => {
        this.idleTimer = undefined;
        this.sweepIdle();
        this.scheduleSweep();
      },
      Math.max(idleMs / 2, 100),
    );
  }

  /** Unsubscribes the names the state found idle (it forgot them already). */
  private sweepIdle(): void {
    const idle = this.options.state.sweepIdle();
    if (idle.length === 0) return;
    for (const name of idle) {
      this.subscribed.delete(name);
      this.pending.delete(name);
    }
    this.options.metrics.discovery.inc({ event: 'idle-unsubscribe' }, idle.length);
    this.options.logger.debug({ names: idle.length }, 'unsubscribed names no traffic used');
    for (let i = 0; i < idle.length; i += UNSUBSCRIBE_BATCH) {
      this.send({ unsubscribe: { names: idle.slice(i, i + UNSUBSCRIBE_BATCH) } });
    }
  }

  /** Subscribes to `name` (once); batched with other names asked for in the same tick. */
  subscribe(name: string): void {
    if (this.subscribed.has(name)) return;
    this.subscribed.add(name);
    this.pending.add(name);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flushSubscriptions());
  }

  private flushSubscriptions(): void {
    this.flushQueued = false;
    if (this.stream === undefined || this.pending.size === 0) return;
    const names = [...this.pending];
    this.pending = new Set();
    this.send({ subscribe: { names } });
  }

  private open(): void {
    if (this.closed) return;
    const { Discovery } = loadDiscoveryProto().weft.discovery.v1alpha1;
    this.client?.close();
    this.client = new Discovery(this.options.address, this.options.credentials(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // A channel of its own: a new stream is a new connection, which the Service may send to
      // another replica (with the shared pool it would reuse the old replica's connection).
      'grpc.use_local_subchannel_pool': 1,
      ...this.options.channelOptions,
    }) as unknown as DiscoveryClient;
    const stream = this.client.Stream();
    this.stream = stream;
    this.streams++;
    stream.on('data', (r: DiscoveryResponse__Output) => this.onResponse(r));
    stream.on('error', (err: Error & { metadata?: Metadata }) =>
      this.onBroken(stream, describeError(err), err.metadata?.get('weft-reconnect')[0] === 'now'),
    );
    stream.on('end', () => this.onBroken(stream, 'stream ended by the control plane'));
    const rejectedVersions = [...this.rejected].map(([name, version]) => ({ name, version }));
    this.send({ node: { ...this.options.node(), rejectedVersions } });
    // Re-subscribe to everything we hold or were asked for.
    for (const n of this.options.state.names()) this.subscribed.add(n);
    this.pending = new Set(this.subscribed);
    this.flushSubscriptions();
  }

  private onResponse(r: DiscoveryResponse__Output): void {
    if (!this.connected) {
      this.connected = true;
      this.backoff.reset();
      if (this.options.state.accepted > 0) this.startGrace();
      this.options.metrics.discovery.inc({ event: 'connected' });
      this.options.logger.info({ address: this.options.address }, 'discovery stream connected');
    }
    const result = this.options.state.apply(r);
    this.noteRejected(r, result.type === 'nack');
    if (result.type === 'ack') {
      this.options.metrics.discovery.inc({ event: 'ack' });
      this.send({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
    } else {
      this.options.metrics.discovery.inc({ event: 'nack' });
      this.options.logger.warn(
        { version: r.versionInfo, reason: result.reason },
        'discovery response rejected',
      );
      this.send({ nack: { versionInfo: r.versionInfo, nonce: r.nonce, errorDetail: result.reason } });
    }
  }

  /** Holds back answers that would drop known endpoints until the control plane has caught up. */
  private startGrace(): void {
    const graceMs = this.options.reconnectGraceMs ?? 5000;
    if (graceMs <= 0) return;
    this.graceTimer?.cancel();
    this.options.state.beginReconnectGrace();
    this.options.metrics.discovery.inc({ event: 'reconnect-grace' });
    this.graceTimer = this.clock.setTimeout(() => {
      this.graceTimer = undefined;
      const held = this.options.state.heldNames;
      this.options.state.endReconnectGrace();
      if (held > 0)
        this.options.logger.info({ held }, 'reconnect grace over; the control plane’s answers apply');
    }, graceMs);
  }

  /** Remembers the versions of a nacked response; an accepted one (or a removal) clears its names. */
  private noteRejected(r: DiscoveryResponse__Output, nacked: boolean): void {
    for (const name of r.removedNames) this.rejected.delete(name);
    for (const { name, version } of r.resources) {
      this.rejected.delete(name);
      if (nacked && this.rejected.size < MAX_REJECTED) this.rejected.set(name, version);
    }
  }

  /**
   * `reconnectNow`: the control plane ended a working stream on purpose (max stream age,
   * shutdown); reconnect at once without counting it as a failure.
   */
  private onBroken(stream: Stream, reason: string, reconnectNow = false): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    const wasConnected = this.connected;
    if (this.connected) this.options.metrics.discovery.inc({ event: 'disconnected' });
    this.connected = false;
    stream.removeAllListeners('data');
    stream.on('error', () => {});
    stream.cancel();
    if (this.closed) return;
    if (reconnectNow && wasConnected) {
      // Only after a working stream: a replica refusing new streams while it drains gets backoff.
      this.options.metrics.discovery.inc({ event: 'reconnect-now' });
      this.options.logger.info({ reason }, 'control plane asked for a reconnect; keeping last config');
      this.backoff.reset();
      this.backoff.retryAfter(0, () => this.open());
      return;
    }
    const delay = this.backoff.retry(() => this.open());
    this.options.logger.warn(
      { reason, retryInMs: Math.round(delay) },
      'discovery stream lost; keeping last config',
    );
  }

  private send(msg: DiscoveryRequest): void {
    this.stream?.write(msg);
  }

  close(): void {
    this.closed = true;
    this.backoff.cancel();
    this.graceTimer?.cancel();
    this.idleTimer?.cancel();
    const s = this.stream;
    this.stream = undefined;
    if (s !== undefined) {
      s.on('error', () => {});
      s.cancel();
    }
    this.client?.close();
  }
}
