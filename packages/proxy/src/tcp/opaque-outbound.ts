/** Opaque TCP from the local app: resolve the destination, pick an endpoint, dial it (mTLS + preamble when meshed), relay. */
import type { Socket } from 'node:net';
import type { Resolution } from '../discovery/resolver.js';
import { isHttpProtocol, refuseL7 } from '../listeners/port-kind.js';
import type { ProxyRuntime } from '../listeners/runtime.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import { type ConnectionPick, connectionTarget } from '../traffic/connection-target.js';
import { relayOpaque } from './splice-relay.js';

/** Where a connection for `name` goes; undefined when nowhere. */
function targetFor(
  r: Resolution,
  egress: UpstreamTarget | undefined,
  rt: ProxyRuntime,
): ConnectionPick | undefined {
  if (r.type === 'does-not-exist')
    return egress === undefined ? undefined : { target: egress, done: () => {} };
  return connectionTarget(rt.traffic, r.destination, rt.random);
}

/**
 * Carries `client` (first bytes `initial` already read) to `name` as opaque TCP.
 * `fallback` names why detection gave up on HTTP ('detect-timeout', 'not-http'): then a
 * destination the control plane declared HTTP, HTTP/2 or gRPC is refused instead.
 */
export function opaqueOutbound(
  rt: ProxyRuntime,
  client: Socket,
  initial: Buffer,
  name: string,
  egress: UpstreamTarget | undefined,
  fallback?: string,
): void {
  const go = (r: Resolution) => {
    if (fallback !== undefined && r.type === 'destination' && isHttpProtocol(r.destination.protocol)) {
      refuseL7(rt, client, 'outbound', fallback, initial);
      return;
    }
    const pick = targetFor(r, egress, rt);
    if (pick === undefined) {
      rt.metrics.connectionsRefused.inc({ listener: 'outbound', reason: 'no-endpoint' });
      client.destroy();
      return;
    }
    rt.connector.connect(pick.target, 'opaque').then(
      (upstream) => {
        pick.done(true);
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        if (initial.length > 0) upstream.write(initial);
        relayOpaque(client, upstream);
      },
      () => {
        pick.done(false);
        client.destroy();
      },
    );
  };
  const cached = rt.resolver.lookup(name);
  if (cached !== undefined) {
    go(cached);
    return;
  }
  rt.resolver.wait(name, rt.options.discoveryWaitMs).then(
    (r) => {
      if (r.type === 'timeout') {
        rt.metrics.connectionsRefused.inc({ listener: 'outbound', reason: 'discovery-timeout' });
        client.destroy();
      } else go(r);
    },
    () => client.destroy(),
  );
}
