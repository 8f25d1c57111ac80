/**
 * Outbound layer: finds what the control plane says about the request's destination. A
 * cached answer costs a map read; an unknown name subscribes and waits up to a bound, then
 * fails with a 503 that says why. Names outside the mesh pass through to their own address.
 */
import { WeftError } from '@weft/core';
import type { DestinationResolver, Resolution } from '../discovery/resolver.js';
import type { Exchange, Layer } from './types.js';

/** No answer (or no way to reach) a destination. */
export class DestinationUnavailable extends WeftError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'DestinationUnavailable';
  }
}

export interface ResolveOptions {
  readonly resolver: DestinationResolver;
  /** How long a request waits for the first answer about a new name. */
  readonly waitTimeoutMs: number;
}

function apply(req: Exchange, r: Resolution): boolean {
  if (r.type === 'destination') {
    req.destination = r.destination;
    return true;
  }
  if (req.egress === undefined) {
    req.fail(
      new DestinationUnavailable(`"${req.name}" is not in the mesh (${r.reason}) and has no direct address`),
    );
    return false;
  }
  req.upstream = req.egress;
  return true;
}

export function resolveDestination(options: ResolveOptions): Layer {
  return (next) => (req) => {
    const cached = options.resolver.lookup(req.name);
    if (cached !== undefined) {
      if (apply(req, cached)) next(req);
      return;
    }
    options.resolver.wait(req.name, options.waitTimeoutMs).then(
      (r) => {
        if (r.type === 'timeout') req.fail(new DestinationUnavailable(r.reason));
        else if (apply(req, r)) next(req);
      },
      (err: unknown) => req.fail(new DestinationUnavailable(`discovery failed: ${String(err)}`)),
    );
  };
}
