/**
 * The proxy's copy of discovery resources: checks and compiles each response in one step (a bad
 * one is NACKed and the previous config keeps serving), installs the compiled destinations in the
 * traffic registry at once, answers lookups, wakes requests waiting for a name's first answer,
 * and finds names no traffic used for a while. No I/O: the stream client drives it.
 */
import type { DiscoveryResponse__Output, Resource__Output } from '@weft/api';
import type { DestinationPlan } from '@weft/core';
import type { MeshRecord, MeshRecordSource, MeshRecordWait } from '../dns/mesh-records.js';
import type { TrafficRegistry, TrafficRegistryStats } from '../traffic/destination-traffic.js';
import { CompiledNames, type Entry } from './compiled-names.js';
import { DNS_PREFIX, DnsRecords } from './dns-records.js';
import { decideDuringGrace } from './reconnect-grace.js';
import type {
  Destination,
  DestinationResolver,
  InboundPolicy,
  InboundPolicySource,
  Resolution,
  WaitResult,
} from './resolver.js';
import { checkResource } from './validate.js';

/** The mesh config as pushed. */
export type PushedMeshConfig = NonNullable<Resource__Output['meshConfig']>;

type Waiter = (result: WaitResult) => void;

/** The gateway config as pushed (resource "gateway"). */
export type PushedGatewayConfig = NonNullable<Resource__Output['gatewayConfig']>;

/**
 * Takes pushed gateway configs (`weft gateway` only). `prepare` checks and compiles one:
 * the reason it cannot be used (the response is NACKed), or the function that installs it
 * (called only when the whole response is accepted).
 */
export interface GatewayConfigSink {
  prepare(config: PushedGatewayConfig): string | (() => void);
}

/** Result of applying one response: ACK it, or NACK it with the reason. */
export type ApplyResult = { readonly type: 'ack' } | { readonly type: 'nack'; readonly reason: string };

/** Counts of what the state holds, for /config, metrics and tests. */
export interface DiscoveryStateStats {
  /** Names with an answer (destination or does-not-exist). */
  readonly names: number;
  /** Names asked for that have no answer yet. */
  readonly asked: number;
  /** Answers held back during reconnect grace. */
  readonly held: number;
  /** Traffic state installed from pushed destinations (absent without a registry). */
  readonly traffic: TrafficRegistryStats | undefined;
}

/**
 * Implements {@link DestinationResolver} for the request path (`lookup` is a map read) and
 * {@link InboundPolicySource}; the stream client calls `apply` for each response and
 * `sweepIdle` on its idle timer.
 */
export class DiscoveryState implements DestinationResolver, InboundPolicySource, MeshRecordSource {
  private readonly book = new CompiledNames();
  /** DNS records of `dns:` subscriptions (kept apart from destinations: no traffic state). */
  private readonly dns = new DnsRecords();
  private readonly waiters = new Map<string, Waiter[]>();
  private policy: InboundPolicy | undefined;
  private mesh: PushedMeshConfig | undefined;
  /** During reconnect grace: the control plane's latest answers that were held back. */
  private readonly held = new Map<string, Entry>();
  private inGrace = false;
  /** The version of the last accepted response. */
  version = '';
  /** Responses accepted so far (0 until the first config). */
  accepted = 0;

  /** Called when a name is asked for that has no answer yet; the client subscribes. */
  onUnknownName: (name: string) => void = () => {};

  /** Called after a response carrying the mesh config was accepted (tracing follows it). */
  onMeshConfig: (mesh: PushedMeshConfig) => void = () => {};

  /** Where gateway configs go; undefined for a sidecar (which NACKs one). */
  gateway: GatewayConfigSink | undefined;

  /**
   * Installs pushed destinations into `registry` from now on (and the ones held already), and
   * forgets them there when they are removed or go idle. Called once by the sidecar.
   */
  useTraffic(registry: TrafficRegistry): void {
    this.book.useTraffic(registry);
  }

  lookup(name: string): Resolution | undefined {
    const e = this.book.used(name);
    if (e === undefined) {
      this.book.ask(name);
      this.onUnknownName(name);
      return undefined;
    }
    return e.resolution;
  }

  wait(name: string, timeoutMs: number): Promise<WaitResult> {
    const known = this.book.used(name);
    if (known !== undefined) return Promise.resolve(known.resolution);
    this.book.ask(name);
    this.onUnknownName(name);
    return new Promise((resolve) => {
      let list = this.waiters.get(name);
      if (list === undefined) {
        list = [];
        this.waiters.set(name, list);
      }
      const timer = setTimeout(() => {
        const l = this.waiters.get(name);
        if (l !== undefined) {
          const i = l.indexOf(waiter);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) this.waiters.delete(name);
        }
        resolve({
          type: 'timeout',
          reason: `no answer from the control plane for "${name}" within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      const waiter: Waiter = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      list.push(waiter);
    });
  }

  /** Called for each new DNS name refused because the most names were held (see MAX_DNS_NAMES). */
  set onDnsNameRefused(fn: () => void) {
    this.dns.onRefused = fn;
  }

  record(fqdn: string): MeshRecord | undefined {
    return this.dns.get(fqdn, (name) => this.onUnknownName(name));
  }

  waitRecord(fqdn: string, timeoutMs: number): Promise<MeshRecordWait> {
    return this.dns.wait(fqdn, timeoutMs, (name) => this.onUnknownName(name));
  }

  inboundPolicy(): InboundPolicy | undefined {
    return this.policy;
  }

  meshConfig(): PushedMeshConfig | undefined {
    return this.mesh;
  }

  /** Names answered or asked for (for re-subscribing after a reconnect). */
  names(): string[] {
    return [...this.book.all(), ...this.dns.names()];
  }

  /**
   * Forgets every name no traffic asked for during the last two sweeps (and that no request is
   * waiting for): its answer, its held answer and its traffic state. Returns those names, for
   * the client to unsubscribe. Called every half idle timeout, so a name goes between one and
   * one and a half idle timeouts after its last use.
   */
  sweepIdle(): string[] {
    const idle = this.book.sweep((name) => this.waiters.has(name));
    for (const name of idle) this.held.delete(name);
    return [...idle, ...this.dns.sweep()];
  }

  /** Counts for /config, metrics and tests. */
  stats(): DiscoveryStateStats {
    return { ...this.book.counts(), held: this.held.size };
  }

  /** Everything held, for /config. */
  snapshot(): {
    version: string;
    inboundPolicy: InboundPolicy | undefined;
    mesh: PushedMeshConfig | undefined;
    destinations: Record<string, Resolution>;
    dnsRecords: Record<string, MeshRecord | 'pending'>;
    stats: DiscoveryStateStats;
  } {
    return {
      version: this.version,
      inboundPolicy: this.policy,
      mesh: this.mesh,
      destinations: this.book.resolutions(),
      dnsRecords: this.dns.snapshot(),
      stats: this.stats(),
    };
  }

  /** True between {@link beginReconnectGrace} and {@link endReconnectGrace}. */
  get reconnectGrace(): boolean {
    return this.inGrace;
  }

  /** Names whose last known endpoints are serving in place of a held answer. */
  get heldNames(): number {
    return this.held.size;
  }

  /**
   * The stream reconnected: until {@link endReconnectGrace}, answers that would drop the
   * endpoints of an already-resolved name are held back (see reconnect-grace.ts).
   */
  beginReconnectGrace(): void {
    this.inGrace = true;
  }

  /** Grace is over: the held answers (the control plane's latest word) apply now. */
  endReconnectGrace(): void {
    this.inGrace = false;
    for (const [name, e] of this.held) this.book.set(name, e);
    this.held.clear();
  }

  /** Records the control plane's answer for `name`, holding it back during grace when it would drop endpoints. */
  private resolve(name: string, next: Entry): Resolution {
    if (!this.inGrace) {
      this.book.set(name, next);
      return next.resolution;
    }
    const current = this.book.get(name);
    const decision = decideDuringGrace(current?.resolution, next.resolution);
    if (decision.type === 'apply') {
      this.held.delete(name);
      this.book.set(name, next);
      return next.resolution;
    }
    this.held.set(name, next);
    if (current !== undefined && decision.serve === current.resolution) return current.resolution;
    // The new routes and policy with the last known endpoints kept beside the new ones.
    const served = CompiledNames.entryFor(decision.serve);
    this.book.set(name, served ?? next);
    return (served ?? next).resolution;
  }

  /** Checks and compiles all of `response`, then applies it atomically; nothing changes on NACK. */
  apply(response: DiscoveryResponse__Output): ApplyResult {
    const plans: (DestinationPlan | undefined)[] = [];
    for (const resource of response.resources) {
      const checked = checkResource(resource);
      if (checked.type === 'invalid') {
        return { type: 'nack', reason: `resource "${resource.name}": ${checked.reason}` };
      }
      plans.push(checked.plan);
    }
    const installs: (() => void)[] = [];
    for (const resource of response.resources) {
      if (resource.kind !== 'gatewayConfig') continue;
      if (this.gateway === undefined)
        return { type: 'nack', reason: `resource "${resource.name}": this proxy is not a gateway` };
      const prepared = this.gateway.prepare(resource.gatewayConfig as PushedGatewayConfig);
      if (typeof prepared === 'string')
        return { type: 'nack', reason: `resource "${resource.name}": ${prepared}` };
      installs.push(prepared);
    }
    const answered: [string, Resolution][] = [];
    const dnsAnswered: [string, MeshRecord][] = [];
    response.resources.forEach((resource, i) => {
      switch (resource.kind) {
        case 'destination': {
          const destination = resource.destination as Destination;
          const plan = plans[i] as DestinationPlan;
          const entry: Entry = { resolution: { type: 'destination', destination }, plan, usedIn: 0 };
          answered.push([resource.name, this.resolve(resource.name, entry)]);
          break;
        }
        case 'dnsRecord': {
          const r = resource.dnsRecord;
          dnsAnswered.push([
            resource.name.slice(DNS_PREFIX.length),
            {
              type: 'addresses',
              addresses: r?.addresses ?? [],
              ttlSeconds: Number(r?.ttl?.seconds ?? 0),
              ports: r?.ports ?? [],
            },
          ]);
          break;
        }
        case 'doesNotExist': {
          if (resource.name.startsWith(DNS_PREFIX)) {
            const reason = resource.doesNotExist?.reason ?? 'no such Service';
            dnsAnswered.push([resource.name.slice(DNS_PREFIX.length), { type: 'none', reason }]);
            break;
          }
          const reason = resource.doesNotExist?.reason ?? 'not in the mesh';
          const entry: Entry = { resolution: { type: 'does-not-exist', reason }, plan: undefined, usedIn: 0 };
          answered.push([resource.name, this.resolve(resource.name, entry)]);
          break;
        }
        case 'inboundPolicy':
          this.policy = resource.inboundPolicy ?? undefined;
          break;
        case 'meshConfig':
          this.mesh = resource.meshConfig ?? undefined;
          break;
      }
    });
    for (const name of response.removedNames) {
      if (name.startsWith(DNS_PREFIX)) {
        this.dns.remove(name.slice(DNS_PREFIX.length));
        continue;
      }
      this.book.remove(name);
      this.held.delete(name);
    }
    for (const install of installs) install();
    this.version = response.versionInfo;
    this.accepted++;
    if (this.mesh !== undefined && response.resources.some((r) => r.kind === 'meshConfig')) {
      this.onMeshConfig(this.mesh);
    }
    for (const [fqdn, r] of dnsAnswered) this.dns.set(fqdn, r);
    for (const [name, r] of answered) {
      const list = this.waiters.get(name);
      if (list === undefined) continue;
      this.waiters.delete(name);
      for (const w of list) w(r);
    }
    return { type: 'ack' };
  }
}
