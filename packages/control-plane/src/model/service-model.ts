/** A Service as the mesh sees it: ports with their protocol, ClusterIPs, selector — from a manifest or from registrations. */
import type { ServiceResource } from '@weft/api';
import type { Registration } from '../sources/config-source.js';

/** Application protocol of a port; `detect` leaves the choice to the proxy's protocol detection. */
export type PortProtocol = 'http' | 'http2' | 'grpc' | 'tcp' | 'detect';

export interface ServicePortModel {
  /** The port name ("" when unnamed); EndpointSlice ports carry the same name. */
  readonly name: string;
  readonly port: number;
  /** The workload port: a number, or the name of a container port. */
  readonly targetPort: number | string;
  readonly protocol: PortProtocol;
}

export interface ServiceModel {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePortModel[];
  readonly clusterIPs: readonly string[];
  readonly selector?: Readonly<Record<string, string>>;
  /** True when no Service manifest exists and the ports come from proxies' registrations. */
  readonly implicit: boolean;
  /** `clusterIP: None`: its name resolves to its endpoints' addresses. */
  readonly headless?: boolean;
  /** `type: ExternalName`: not resolved by the mesh's DNS. */
  readonly externalName?: boolean;
}

const APP_PROTOCOLS: Readonly<Record<string, PortProtocol>> = {
  http: 'http',
  'kubernetes.io/http': 'http',
  http2: 'http2',
  h2c: 'http2',
  'kubernetes.io/h2c': 'http2',
  grpc: 'grpc',
  tcp: 'tcp',
  opaque: 'tcp',
};

/**
 * The protocol of a service port: `appProtocol` first, then the port-name prefix
 * (`http`, `http2`/`h2c`, `grpc`, `tcp`, alone or followed by "-"), then the mesh's opaque ports;
 * otherwise `detect`.
 */
export function portProtocol(
  port: { name?: string | undefined; port: number; appProtocol?: string | undefined },
  opaquePorts: readonly number[],
): PortProtocol {
  if (port.appProtocol !== undefined) {
    const p = APP_PROTOCOLS[port.appProtocol.toLowerCase()];
    if (p !== undefined) return p;
  }
  const prefix = (port.name ?? '').toLowerCase().split('-')[0] ?? '';
  const byName = APP_PROTOCOLS[prefix];
  if (byName !== undefined) return byName;
  if (opaquePorts.includes(port.port)) return 'tcp';
  return 'detect';
}

/** Service (or namespace) annotation naming ports the mesh treats as opaque TCP: "5432,6379,9000-9010". */
export const OPAQUE_PORTS_ANNOTATION = 'weft.dev/opaque-ports';

/** Parses "25,5432,8000-8010"; undefined when any part is not a port or range. */
export function parsePortList(text: string): number[] | undefined {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (m === null || lo < 1 || hi > 65535 || hi < lo || hi - lo > 65535) return undefined;
    for (let p = lo; p <= hi; p++) out.push(p);
  }
  return out;
}

/**
 * The model of a Service manifest. Non-TCP (UDP, SCTP) ports are left out: the mesh carries TCP
 * only. Ports named in the Service's `weft.dev/opaque-ports` annotation (by port or target port)
 * are opaque TCP whatever their name says; an unparsable annotation is ignored.
 */
export function serviceFromResource(svc: ServiceResource, meshOpaquePorts: readonly number[]): ServiceModel {
  const annotated = parsePortList(svc.metadata.annotations?.[OPAQUE_PORTS_ANNOTATION] ?? '') ?? [];
  const ips = svc.spec.clusterIPs ?? (svc.spec.clusterIP === undefined ? [] : [svc.spec.clusterIP]);
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    ports: svc.spec.ports
      .filter((p) => p.protocol === 'TCP')
      .map((p) => ({
        name: p.name ?? '',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol:
          annotated.includes(p.port) || (typeof p.targetPort === 'number' && annotated.includes(p.targetPort))
            ? 'tcp'
            : portProtocol(p, meshOpaquePorts),
      })),
    clusterIPs: ips.filter((ip) => ip !== '' && ip !== 'None'),
    ...(svc.spec.selector === undefined ? {} : { selector: svc.spec.selector }),
    implicit: false,
    ...(svc.spec.clusterIP === 'None' ? { headless: true } : {}),
    ...(svc.spec.type === 'ExternalName' ? { externalName: true } : {}),
  };
}

/**
 * The service implied by registrations when no manifest defines it (local mode): each
 * registered inbound port becomes a service port of the same number.
 */
export function serviceFromRegistrations(
  namespace: string,
  name: string,
  registrations: readonly Registration[],
  opaquePorts: readonly number[],
): ServiceModel {
  const ports = new Map<number, ServicePortModel>();
  for (const r of registrations) {
    for (const p of r.ports) {
      if (ports.has(p.port)) continue;
      const protocol = p.protocol ?? portProtocol({ port: p.port }, opaquePorts);
      ports.set(p.port, { name: `port-${p.port}`, port: p.port, targetPort: p.port, protocol });
    }
  }
  return {
    namespace,
    name,
    ports: [...ports.values()].sort((a, b) => a.port - b.port),
    clusterIPs: [],
    implicit: true,
  };
}
