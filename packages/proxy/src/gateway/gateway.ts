/**
 * The ingress gateway over a running proxy: holds the config in force (from Discovery or a
 * file), swaps it whole when a new one compiles (a bad one is rejected, counted, and the last
 * good one keeps serving), and keeps the client-facing ports in line with it.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { type Clock, describeError, type Random, systemClock } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { GatewayConfigSink, PushedGatewayConfig } from '../discovery/state.js';
import type { Http1Pool } from '../http1/pool.js';
import type { Sidecar } from '../proxy.js';
import { compileGateway } from './compile.js';
import { type CompiledGateway, EMPTY_GATEWAY } from './compiled.js';
import { parseGatewayConfigJson } from './config-json.js';
import { TrustedProxies } from './forwarded.js';
import { gatewayLayer } from './gateway-layer.js';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
import { GatewayPorts } from './gateway-ports.js';
import { Mirror } from './mirror.js';
import { RouteOverrideTable } from './route-overrides.js';

export interface GatewayOptions {
  /** The GatewayClass announced to the control plane. */
  readonly className: string;
  readonly listenHost: string;
  /** Gateway listener port -> port to bind (0: any). */
  readonly portMap: ReadonlyMap<number, number>;
  /** CIDRs whose forwarded headers are kept. */
  readonly trustedProxies: readonly string[];
  /** Time a client has to finish the TLS handshake. */
  readonly handshakeTimeoutMs: number;
  /** Most mirrored requests outstanding at once. */
  readonly mirrorMaxInFlight: number;
  readonly mirrorTimeoutMs: number;
}

export type GatewayConfigSource = 'discovery' | 'file';

export class Gateway implements GatewayConfigSink {
  private compiled: CompiledGateway = EMPTY_GATEWAY;
  private source: GatewayConfigSource | 'none' = 'none';
  private ports: GatewayPorts | undefined;
  private metrics: GatewayMetrics | undefined;
  private mirror: Mirror | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private lastError = '';
  /** Configs installed so far (tests wait for the next one). */
  generation = 0;
  private watched: string | undefined;
  private readonly trusted: TrustedProxies;
  private logger: Logger = silentLogger();
  /** Applied and rejected counts before the metrics exist (a push before attach). */
  private readonly early: { applied: GatewayConfigSource[]; rejected: GatewayConfigSource[] } = {
    applied: [],
    rejected: [],
  };

  /** Throws WeftError INVALID_ARGUMENT for a bad trusted-proxy CIDR. */
  constructor(readonly options: GatewayOptions) {
    this.trusted = new TrustedProxies(options.trustedProxies);
  }

  /** The config in force. */
  get config(): CompiledGateway {
    return this.compiled;
  }

  /** Discovery: checks and compiles a pushed config (see GatewayConfigSink). */
  prepare(config: PushedGatewayConfig): string | (() => void) {
    try {
      const compiled = compileGateway(config);
      return () => this.install(compiled, 'discovery');
    } catch (err) {
      this.rejected('discovery', describeError(err));
      return describeError(err);
    }
  }

  /** Reads, checks and applies a config file; throws when it cannot be used (nothing changes then). */
  loadFile(path: string): void {
    let compiled: CompiledGateway;
    try {
      compiled = compileGateway(parseGatewayConfigJson(readFileSync(path, 'utf8')));
    } catch (err) {
      this.rejected('file', describeError(err));
      throw err;
    }
    this.install(compiled, 'file');
  }

  /** Re-reads `path` whenever it changes (polled: survives editors' and Kubernetes' atomic renames). */
  watchFile(path: string, intervalMs = 250): void {
    this.watched = path;
    watchFile(path, { interval: intervalMs, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
      try {
        this.loadFile(path);
      } catch {
        // Counted and logged in loadFile; the last good config keeps serving.
      }
    });
  }

  /** Starts serving through `sidecar`'s outbound path; binds the ports of the config in force. */
  async attach(sidecar: Sidecar, deps: { logger: Logger; random: Random; clock?: Clock }): Promise<void> {
    this.logger = deps.logger;
    const o = sidecar.options;
    const metrics = createGatewayMetrics(sidecar.metrics.registry);
    this.metrics = metrics;
    for (const s of this.early.applied) metrics.configApplied.inc({ source: s });
    for (const s of this.early.rejected) metrics.configRejected.inc({ source: s });
    const own = sidecar.ownRequests();
    this.mirror = new Mirror({
      handler: own.handler,
      pool: () => own.pool,
      h2Pool: () => own.h2Pool,
      clock: deps.clock ?? systemClock,
      metrics,
      logger: deps.logger,
      maxInFlight: this.options.mirrorMaxInFlight,
      timeoutMs: this.options.mirrorTimeoutMs,
    });
    let pool: Http1Pool | undefined;
    const overrides = new RouteOverrideTable();
    const side = sidecar.gatewaySide(
      [
        gatewayLayer({
          config: () => this.compiled,
          trusted: this.trusted,
          random: deps.random,
          metrics,
          mirror: this.mirror,
          http1Pool: () => pool as Http1Pool,
          overrides,
        }),
      ],
      overrides.adjust,
    );
    pool = side.http1.pool;
    this.ports = new GatewayPorts({
      host: this.options.listenHost,
      portMap: this.options.portMap,
      side,
      config: () => this.compiled,
      admit: (socket) => sidecar.admit('gateway', socket),
      metrics,
      logger: deps.logger,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      detectTimeoutMs: o.detectTimeoutMs,
      maxConnections: o.hardening.maxConnections,
    });
    await this.reconcile();
  }

  /** Resolves once the ports match the config in force. */
  settled(): Promise<void> {
    return this.reconciling;
  }

  /**
   * Why the gateway is not ready: no config applied yet, or a port of the config not bound
   * (a load balancer must not send clients to a gateway that would refuse them).
   */
  notReadyReason(): string | undefined {
    if (this.source === 'none') return 'no gateway config applied yet';
    const errors = this.ports?.errors() ?? {};
    const failed = Object.keys(errors);
    if (failed.length > 0)
      return `gateway ports not bound: ${failed.map((p) => `${p} (${errors[Number(p)]})`).join(', ')}`;
    return undefined;
  }

  /** Listener port -> bound port. */
  boundPorts(): Record<number, number> {
    return this.ports?.bound() ?? {};
  }

  /** /config: listeners, routes, certificates (names, subjects, expiry: never keys) and bound ports. */
  snapshot(): Record<string, unknown> {
    const listeners = [];
    for (const p of this.compiled.ports.values()) {
      for (const l of p.listeners) {
        listeners.push({
          name: l.name,
          port: p.port,
          protocol: p.protocol,
          hostname: l.hostname,
          routes: l.routes.map((r) => r.name),
          certificates: l.certificates.map((c) => ({
            name: c.name,
            subject: c.x509.subject,
            subjectAltName: c.x509.subjectAltName,
            validTo: c.x509.validTo,
            fingerprint256: c.x509.fingerprint256,
          })),
        });
      }
    }
    return {
      gateway: {
        className: this.options.className,
        source: this.source,
        ...(this.watched === undefined ? {} : { file: this.watched }),
        boundPorts: this.boundPorts(),
        bindErrors: this.ports?.errors() ?? {},
        lastRejected: this.lastError,
        listeners,
      },
    };
  }

  close(): void {
    if (this.watched !== undefined) unwatchFile(this.watched);
    this.ports?.close();
    this.mirror?.close();
  }

  private install(compiled: CompiledGateway, source: GatewayConfigSource): void {
    this.compiled = compiled;
    this.source = source;
    this.generation++;
    if (this.metrics === undefined) this.early.applied.push(source);
    else this.metrics.configApplied.inc({ source });
    this.logger.info({ source, ports: [...compiled.ports.keys()] }, 'gateway config applied');
    void this.reconcile();
  }

  private rejected(source: GatewayConfigSource, reason: string): void {
    this.lastError = reason;
    if (this.metrics === undefined) this.early.rejected.push(source);
    else this.metrics.configRejected.inc({ source });
    this.logger.warn({ source, reason }, 'gateway config rejected; the last good one keeps serving');
  }

  private reconcile(): Promise<void> {
    const ports = this.ports;
    if (ports === undefined) return this.reconciling;
    // Serialized: each pass sees the config in force when it runs.
    this.reconciling = this.reconciling.then(() => ports.reconcile(this.compiled));
    return this.reconciling;
  }
}
