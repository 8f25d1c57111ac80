/**
 * The proxy's copy of discovery resources: applies responses (validated first, so a bad
 * one is NACKed and the previous config keeps serving), answers lookups, and wakes
 * requests waiting for a name's first answer. No I/O: the stream client drives it.
 */
import type { DiscoveryResponse__Output, Resource__Output } from '@weft/api';
import { decideDuringGrace } from './reconnect-grace.js';
import type {
  Destination,
  DestinationResolver,
  InboundPolicy,
  InboundPolicySource,
  Resolution,
  WaitResult,
} from './resolver.js';
import { validateResource } from './validate.js';

/** The mesh config as pushed. */
export type PushedMeshConfig = NonNullable<Resource__Output['meshConfig']>;

type Waiter = (result: WaitResult) => void;

/** Result of applying one response: ACK it, or NACK it with the reason. */
export type ApplyResult = { readonly type: 'ack' } | { readonly type: 'nack'; readonly reason: string };

export class DiscoveryState implements DestinationResolver, InboundPolicySource {
  private readonly resolutions = new Map<string, Resolution>();
  private readonly waiters = new Map<string, Waiter[]>();
  private policy: InboundPolicy | undefined;
  private mesh: PushedMeshConfig | undefined;
  /** During reconnect grace: the control plane's latest answers that were held back. */
  private readonly held = new Map<string, Resolution>();
  private inGrace = false;
  /** The version of the last accepted response. */
  version = '';
  /** Responses accepted so far (0 until the first config). */
  accepted = 0;

  /** Called when a name is asked for that has no answer yet; the client subscribes. */
  onUnknownName: (name: string) => void = () => {};

  /** Called after a response carrying the mesh config was accepted (tracing follows it). */
  onMeshConfig: (mesh: PushedMeshConfig) => void = () => {};

  lookup(name: string): Resolution | undefined {
    const r = this.resolutions.get(name);
    if (r === undefined) this.onUnknownName(name);
    return r;
  }

  wait(name: string, timeoutMs: number): Promise<WaitResult> {
    const known = this.resolutions.get(name);
    if (known !== undefined) return Promise.resolve(known);
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

  inboundPolicy(): InboundPolicy | undefined {
    return this.policy;
  }

  meshConfig(): PushedMeshConfig | undefined {
    return this.mesh;
  }

  /** Names currently known (for re-subscribing after a reconnect). */
  names(): string[] {
    return [...this.resolutions.keys()];
  }

  /** Everything held, for /config. */
  snapshot(): {
    version: string;
    inboundPolicy: InboundPolicy | undefined;
    mesh: PushedMeshConfig | undefined;
    destinations: Record<string, Resolution>;
  } {
    return {
      version: this.version,
      inboundPolicy: this.policy,
      mesh: this.mesh,
      destinations: Object.fromEntries(this.resolutions),
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
    for (const [name, r] of this.held) this.resolutions.set(name, r);
    this.held.clear();
  }

  /** Records the control plane's answer for `name`, holding it back during grace when it would drop endpoints. */
  private resolve(name: string, r: Resolution): Resolution {
    if (!this.inGrace) {
      this.resolutions.set(name, r);
      return r;
    }
    const decision = decideDuringGrace(this.resolutions.get(name), r);
    if (decision.type === 'apply') {
      this.held.delete(name);
      this.resolutions.set(name, r);
      return r;
    }
    this.held.set(name, r);
    this.resolutions.set(name, decision.serve);
    return decision.serve;
  }

  /** Validates all of `response`, then applies it atomically; nothing changes on NACK. */
  apply(response: DiscoveryResponse__Output): ApplyResult {
    for (const resource of response.resources) {
      const problem = validateResource(resource);
      if (problem !== undefined) return { type: 'nack', reason: `resource "${resource.name}": ${problem}` };
    }
    const answered: [string, Resolution][] = [];
    for (const resource of response.resources) {
      switch (resource.kind) {
        case 'destination': {
          const r: Resolution = { type: 'destination', destination: resource.destination as Destination };
          answered.push([resource.name, this.resolve(resource.name, r)]);
          break;
        }
        case 'doesNotExist': {
          const r: Resolution = {
            type: 'does-not-exist',
            reason: resource.doesNotExist?.reason ?? 'not in the mesh',
          };
          answered.push([resource.name, this.resolve(resource.name, r)]);
          break;
        }
        case 'inboundPolicy':
          this.policy = resource.inboundPolicy ?? undefined;
          break;
        case 'meshConfig':
          this.mesh = resource.meshConfig ?? undefined;
          break;
      }
    }
    for (const name of response.removedNames) {
      this.resolutions.delete(name);
      this.held.delete(name);
    }
    this.version = response.versionInfo;
    this.accepted++;
    if (this.mesh !== undefined && response.resources.some((r) => r.kind === 'meshConfig')) {
      this.onMeshConfig(this.mesh);
    }
    for (const [name, r] of answered) {
      const list = this.waiters.get(name);
      if (list === undefined) continue;
      this.waiters.delete(name);
      for (const w of list) w(r);
    }
    return { type: 'ack' };
  }
}
