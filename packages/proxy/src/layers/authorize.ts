/** Inbound layer: authorizes each HTTP request against the pushed inbound policy; 403 names the policy. */
import { WeftError } from '@weft/core';
import { decideAuthz } from '../authz/decide.js';
import type { InboundPolicySource } from '../discovery/resolver.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import type { Layer } from './types.js';

/** A request or connection refused by authorization. */
export class AuthorizationDenied extends WeftError {
  constructor(readonly policy: string) {
    super('PERMISSION_DENIED', `forbidden by authorization policy ${policy}`);
    this.name = 'AuthorizationDenied';
  }
}

export function authorize(policies: InboundPolicySource, metrics: ProxyMetrics): Layer {
  return (next) => (req) => {
    const decision = decideAuthz(policies.inboundPolicy(), {
      identity: req.peer.identity,
      port: req.port,
      method: req.method,
      path: req.path,
    });
    if (decision.type === 'allow') {
      next(req);
      return;
    }
    metrics.authzDenied.inc({ direction: 'inbound', policy: decision.policy });
    req.fail(new AuthorizationDenied(decision.policy), ['x-weft-denied-by', decision.policy]);
  };
}
