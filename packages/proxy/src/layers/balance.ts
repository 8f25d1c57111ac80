/**
 * Outbound layer: picks an endpoint of the chosen backend (smooth weighted round robin per
 * backend snapshot) and turns it into an upstream target: mTLS to its proxy when meshed.
 */
import { WeftError } from '@weft/core';
import type { DestinationBackend, DestinationEndpoint } from '../discovery/resolver.js';
import { type Layer, type UpstreamTarget, upstreamTarget } from './types.js';

/** The backend has no endpoints. */
export class NoEndpoints extends WeftError {
  constructor(backend: string) {
    super('UNAVAILABLE', `backend ${backend} has no endpoints`);
    this.name = 'NoEndpoints';
  }
}

interface Picker {
  next: number;
  readonly targets: UpstreamTarget[];
}

const pickers = new WeakMap<DestinationBackend, Picker>();

function targetOf(e: DestinationEndpoint): UpstreamTarget {
  const meshed = e.meshed?.inboundPort ?? 0;
  return upstreamTarget(e.address, e.port, meshed > 0 ? e.identity : '', meshed);
}

function pickerFor(backend: DestinationBackend): Picker {
  let p = pickers.get(backend);
  if (p === undefined) {
    // Weighted round robin by repetition (weights are small integers; 0 counts as 1).
    const targets: UpstreamTarget[] = [];
    for (const e of backend.endpoints) {
      const t = targetOf(e);
      const w = Math.min(Math.max(e.weight, 1), 100);
      for (let i = 0; i < w; i++) targets.push(t);
    }
    p = { next: 0, targets };
    pickers.set(backend, p);
  }
  return p;
}

/** The next endpoint of `backend` as an upstream target; undefined when it has none. */
export function balanceTarget(backend: DestinationBackend): UpstreamTarget | undefined {
  const p = pickerFor(backend);
  if (p.targets.length === 0) return undefined;
  return p.targets[p.next++ % p.targets.length];
}

export function balance(): Layer {
  return (next) => (req) => {
    const backend = req.backend;
    if (backend === undefined) {
      next(req);
      return;
    }
    const p = pickerFor(backend);
    if (p.targets.length === 0) {
      req.fail(new NoEndpoints(backend.name));
      return;
    }
    req.upstream = p.targets[p.next++ % p.targets.length];
    next(req);
  };
}
