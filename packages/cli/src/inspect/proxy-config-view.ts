/** Pure: a proxy's /config (what its control plane pushed) as tables, one concern each. */
import { renderTable } from '../cli-kit/table.js';
import { arr, cell, enumWord, obj, section } from './read.js';

const PROTOCOLS: Record<string, string> = {
  PROTOCOL_HTTP: 'http',
  PROTOCOL_HTTP2: 'http2',
  PROTOCOL_GRPC: 'grpc',
  PROTOCOL_TCP: 'tcp',
};

/** Renders the tables of one proxy's /config answer. */
export function renderProxyConfig(config: unknown): string {
  const c = obj(config);
  if (c.controlPlane === 'none')
    return 'This proxy has no control plane (pass-through mode): nothing was pushed.\n';
  const policy = obj(c.inboundPolicy);
  const mesh = obj(c.mesh);
  const parts: string[] = [
    renderTable({
      head: ['VERSION', 'MTLS', 'DEFAULT INBOUND', 'TRUST DOMAIN'],
      rows: [
        [
          cell(c.version),
          enumWord(policy.mtlsMode, 'MTLS_MODE_'),
          enumWord(policy.defaultAction, 'DEFAULT_ACTION_'),
          cell(mesh.trustDomain),
        ],
      ],
    }),
  ];
  const endpoints: string[][] = [];
  const routes: string[][] = [];
  for (const [name, resolution] of Object.entries(obj(c.destinations))) {
    const r = obj(resolution);
    if (r.type !== 'destination') {
      endpoints.push([name, '-', '-', '-', '-', `does not exist: ${cell(r.reason)}`]);
      continue;
    }
    const d = obj(r.destination);
    const protocol = PROTOCOLS[cell(d.protocol)] ?? cell(d.protocol);
    const backends = arr(d.backends);
    if (backends.length === 0) endpoints.push([name, protocol, '-', '-', '-', 'no backends']);
    for (const backend of backends.map(obj)) {
      const eps = arr(backend.endpoints).map(obj);
      if (eps.length === 0) endpoints.push([name, protocol, cell(backend.name), '-', '-', 'no endpoints']);
      for (const ep of eps) {
        endpoints.push([
          name,
          protocol,
          cell(backend.name),
          `${cell(ep.address)}:${cell(ep.port)}`,
          cell(ep.identity),
          ep.meshed == null ? 'unmeshed' : 'meshed',
        ]);
      }
    }
    for (const route of arr(d.routes).map(obj)) {
      const split = arr(route.backends)
        .map(obj)
        .map((b) => `${cell(b.backend)}=${cell(b.weight)}`)
        .join(' ');
      routes.push([name, cell(route.name), split === '' ? '-' : split]);
    }
  }
  parts.push(
    section(
      'DESTINATIONS',
      endpoints.length === 0
        ? '(none subscribed yet: the proxy asks for a destination when its app first calls it)\n'
        : renderTable({
            head: ['AUTHORITY', 'PROTOCOL', 'BACKEND', 'ENDPOINT', 'IDENTITY', 'STATE'],
            rows: endpoints,
          }),
    ),
  );
  if (routes.length > 0) {
    parts.push(
      section('ROUTES', renderTable({ head: ['AUTHORITY', 'ROUTE', 'BACKENDS (weight)'], rows: routes })),
    );
  }
  return parts.join('\n');
}
