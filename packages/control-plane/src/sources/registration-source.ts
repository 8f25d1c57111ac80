/**
 * The registrations source (local mode): proxies announce their workload on their discovery
 * stream; a registration is an endpoint while its stream is open and for a short grace period
 * after it closes (so a reconnecting proxy does not flap out of its service).
 */
import { type Clock, systemClock, type TimerHandle } from '@weft/core';
import type { Registrar } from '../discovery/discovery-service.js';
import type { ConfigSource, EventSink, Registration, SourceEvent } from './config-source.js';

export interface RegistrationSourceOptions {
  readonly clock?: Clock;
  /** How long a registration outlives its stream; default 10 s. */
  readonly graceMs?: number;
  /**
   * When false (Kubernetes mode) registrations only mark workloads as meshed; they add no
   * endpoints, since EndpointSlices are the truth there. Default true.
   */
  readonly endpoints?: boolean;
}

export class RegistrationSource implements ConfigSource, Registrar {
  readonly name = 'registrations';
  private readonly clock: Clock;
  private sink: EventSink | undefined;
  private readonly pending: SourceEvent[] = [];
  private readonly graceTimers = new Map<string, TimerHandle>();
  /** Live registrations by workload, to replace a lingering one when its proxy reconnects. */
  private readonly byWorkload = new Map<string, string>();

  constructor(private readonly options: RegistrationSourceOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    if (this.pending.length > 0) sink(this.pending.splice(0));
  }

  ready(): boolean {
    return true;
  }

  async close(): Promise<void> {
    for (const t of this.graceTimers.values()) t.cancel();
    this.graceTimers.clear();
    this.sink = undefined;
  }

  register(registration: Registration): void {
    const reg = this.options.endpoints === false ? { ...registration, service: '', ports: [] } : registration;
    const events: SourceEvent[] = [];
    const workload = `${reg.namespace}/${reg.workload}/${reg.service}`;
    const previous = this.byWorkload.get(workload);
    if (previous !== undefined && previous !== reg.id && this.graceTimers.has(previous)) {
      this.graceTimers.get(previous)?.cancel();
      this.graceTimers.delete(previous);
      events.push({ type: 'deregister', id: previous });
    }
    this.byWorkload.set(workload, reg.id);
    events.push({ type: 'register', registration: reg });
    this.emit(events);
  }

  deregister(id: string): void {
    const timer = this.clock.setTimeout(() => {
      this.graceTimers.delete(id);
      for (const [w, current] of this.byWorkload) if (current === id) this.byWorkload.delete(w);
      this.emit([{ type: 'deregister', id }]);
    }, this.options.graceMs ?? 10_000);
    this.graceTimers.set(id, timer);
  }

  private emit(events: SourceEvent[]): void {
    if (this.sink === undefined) this.pending.push(...events);
    else this.sink(events);
  }
}
