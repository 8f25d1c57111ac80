/** Subscription names -> a service port: authorities (full or short, resolved in the proxy's namespace) and ip:port. */
import { isIP } from 'node:net';

/** A parsed subscription name. */
export type ParsedName =
  | {
      readonly type: 'authority';
      readonly namespace: string;
      readonly service: string;
      readonly port: number;
    }
  | { readonly type: 'ip'; readonly ip: string; readonly port: number }
  | { readonly type: 'invalid'; readonly reason: string };

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function splitHostPort(name: string): { host: string; port: string | undefined } {
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end < 0) return { host: name, port: undefined };
    const rest = name.slice(end + 1);
    return { host: name.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = name.lastIndexOf(':');
  if (colon < 0 || name.indexOf(':') !== colon) return { host: name, port: undefined };
  return { host: name.slice(0, colon), port: name.slice(colon + 1) };
}

/**
 * Parses a subscription name. `name:port`, `name.ns:port`, `name.ns.svc:port` and
 * `name.ns.svc.<clusterDomain>:port` are authorities (a missing port means 80); `ip:port` is an
 * address. The proxy's namespace fills in a short name.
 */
export function parseName(name: string, proxyNamespace: string, clusterDomain: string): ParsedName {
  if (name.length === 0 || name.length > 300)
    return { type: 'invalid', reason: 'the name must be 1 to 300 characters' };
  const { host, port: portText } = splitHostPort(name.trim().toLowerCase());
  const port = portText === undefined ? 80 : Number(portText);
  if (
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535 ||
    (portText !== undefined && !/^\d+$/.test(portText))
  ) {
    return { type: 'invalid', reason: `"${name}" has an invalid port` };
  }
  if (isIP(host) !== 0) {
    if (portText === undefined)
      return { type: 'invalid', reason: `"${name}": an address needs a port (ip:port)` };
    return { type: 'ip', ip: host, port };
  }
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
  if (!labels.every((l) => LABEL.test(l)))
    return { type: 'invalid', reason: `"${name}" is not a service authority` };
  const suffix = `svc.${clusterDomain}`.split('.');
  const [service, namespace = proxyNamespace, ...rest] = labels as [string, ...string[]];
  const restText = rest.join('.');
  if (rest.length > 0 && restText !== 'svc' && restText !== suffix.join('.')) {
    return {
      type: 'invalid',
      reason: `"${name}" is not a service in this cluster (expected name.namespace.svc.${clusterDomain})`,
    };
  }
  return { type: 'authority', namespace, service, port };
}

/** The canonical authority of a service port. */
export function authorityOf(service: string, namespace: string, port: number, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}:${port}`;
}
