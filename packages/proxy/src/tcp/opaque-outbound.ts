/** Opaque TCP from the local app: resolve the destination, pick an endpoint, dial it (mTLS + preamble when meshed), relay. */
import type { Socket } from 'node:net';
import type { Resolution } from '../discovery/resolver.js';
import { balanceTarget } from '../layers/balance.js';
import { selectBackend } from '../layers/route-backend.js';
import type { ProxyRequest, UpstreamTarget } from '../layers/types.js';
import type { ProxyRuntime } from '../listeners/runtime.js';
import { relay } from './relay.js';

/** A stand-in request for route selection of a bare connection: routes with matches never apply. */
const CONNECTION = { method: '', path: '/', header: () => undefined } as unknown as ProxyRequest;

/** Where a connection for `name` goes; undefined when nowhere. */
function targetFor(
  r: Resolution,
  egress: UpstreamTarget | undefined,
  rt: ProxyRuntime,
): UpstreamTarget | undefined {
  if (r.type === 'does-not-exist') return egress;
  const backend = selectBackend(r.destination, CONNECTION, rt.random);
  return backend === undefined ? undefined : balanceTarget(backend);
}

/** Carries `client` (first bytes `initial` already read) to `name` as opaque TCP. */
export function opaqueOutbound(
  rt: ProxyRuntime,
  client: Socket,
  initial: Buffer,
  name: string,
  egress: UpstreamTarget | undefined,
): void {
  const go = (r: Resolution) => {
    const target = targetFor(r, egress, rt);
    if (target === undefined) {
      rt.metrics.connectionsRefused.inc({ listener: 'outbound', reason: 'no-endpoint' });
      client.destroy();
      return;
    }
    rt.connector.connect(target, 'opaque').then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        if (initial.length > 0) upstream.write(initial);
        relay(client, upstream);
      },
      () => client.destroy(),
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
