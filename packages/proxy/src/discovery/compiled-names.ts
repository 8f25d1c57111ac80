/**
 * Answers by name with the plans compiled when they were pushed: installs each destination's
 * traffic state at once, forgets it when the last name serving its authority goes, and keeps
 * the sweep epoch in which traffic last asked for each name (idle names are dropped).
 */
import { type DestinationPlan, planDestination } from '@weft/core';
import type { TrafficRegistry, TrafficRegistryStats } from '../traffic/destination-traffic.js';
import type { Resolution } from './resolver.js';

/** One name's answer, with the plan compiled from it when it is a destination. */
export interface Entry {
  readonly resolution: Resolution;
  readonly plan: DestinationPlan | undefined;
  /** The sweep epoch in which traffic last asked for this name (set by {@link CompiledNames}). */
  usedIn: number;
}

function authorityOf(e: Entry | undefined): string | undefined {
  return e?.resolution.type === 'destination' ? e.resolution.destination.authority : undefined;
}

/** The name table behind DiscoveryState. Not exported from the package. */
export class CompiledNames {
  private readonly entries = new Map<string, Entry>();
  /** Names asked for without an answer yet, with the epoch of their last use. */
  private readonly asked = new Map<string, number>();
  /** How many names serve each authority (its traffic state goes with the last one). */
  private readonly users = new Map<string, number>();
  private registry: TrafficRegistry | undefined;
  private epoch = 0;

  /**
   * An entry for a resolution made here rather than pushed (reconnect grace merges endpoints
   * into a checked destination); undefined if it does not compile (the caller serves the pushed one).
   */
  static entryFor(resolution: Resolution): Entry | undefined {
    if (resolution.type !== 'destination') return { resolution, plan: undefined, usedIn: 0 };
    try {
      return { resolution, plan: planDestination(resolution.destination), usedIn: 0 };
    } catch {
      return undefined;
    }
  }

  useTraffic(registry: TrafficRegistry): void {
    this.registry = registry;
    for (const e of this.entries.values()) this.install(e);
  }

  /** The answer for `name`, marked as used now; undefined when there is none. The hot path. */
  used(name: string): Entry | undefined {
    const e = this.entries.get(name);
    if (e !== undefined) e.usedIn = this.epoch;
    return e;
  }

  get(name: string): Entry | undefined {
    return this.entries.get(name);
  }

  /** Traffic asked for `name`, which has no answer. */
  ask(name: string): void {
    this.asked.set(name, this.epoch);
  }

  /** Serves `next` for `name`, installing its traffic state now. */
  set(name: string, next: Entry): void {
    const prev = this.entries.get(name);
    next.usedIn = prev?.usedIn ?? this.asked.get(name) ?? this.epoch;
    this.asked.delete(name);
    this.entries.set(name, next);
    const before = authorityOf(prev);
    const after = authorityOf(next);
    if (after !== undefined && after !== before) this.users.set(after, (this.users.get(after) ?? 0) + 1);
    this.install(next);
    if (before !== undefined && before !== after) this.release(before);
  }

  /**
   * The control plane removed `name`: its answer and traffic state go. The name stays asked
   * for (the client still holds the subscription) until the idle sweep drops it.
   */
  remove(name: string): void {
    const prev = this.entries.get(name);
    if (prev === undefined) return;
    this.entries.delete(name);
    this.asked.set(name, prev.usedIn);
    const before = authorityOf(prev);
    if (before !== undefined) this.release(before);
  }

  /**
   * Drops the names whose last use is two epochs old or more (unless `busy`), then starts a new
   * epoch. Returns the names dropped.
   */
  sweep(busy: (name: string) => boolean): string[] {
    const idleUpTo = this.epoch - 2;
    this.epoch++;
    const idle: string[] = [];
    for (const [name, e] of this.entries) {
      if (e.usedIn > idleUpTo || busy(name)) continue;
      this.entries.delete(name);
      const before = authorityOf(e);
      if (before !== undefined) this.release(before);
      idle.push(name);
    }
    for (const [name, usedIn] of this.asked) {
      if (usedIn > idleUpTo || busy(name)) continue;
      this.asked.delete(name);
      idle.push(name);
    }
    return idle;
  }

  all(): string[] {
    return [...this.entries.keys(), ...this.asked.keys()];
  }

  resolutions(): Record<string, Resolution> {
    const out: Record<string, Resolution> = {};
    for (const [name, e] of this.entries) out[name] = e.resolution;
    return out;
  }

  counts(): { names: number; asked: number; traffic: TrafficRegistryStats | undefined } {
    return { names: this.entries.size, asked: this.asked.size, traffic: this.registry?.stats() };
  }

  private install(e: Entry): void {
    if (this.registry === undefined || e.resolution.type !== 'destination' || e.plan === undefined) return;
    this.registry.install({ destination: e.resolution.destination, plan: e.plan });
  }

  private release(authority: string): void {
    const n = (this.users.get(authority) ?? 1) - 1;
    if (n > 0) {
      this.users.set(authority, n);
      return;
    }
    this.users.delete(authority);
    this.registry?.forget(authority);
  }
}
