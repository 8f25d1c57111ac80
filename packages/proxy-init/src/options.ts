/** `weft init` options: ports, the proxy's UID and what to skip, validated once with precise errors. */
import { isIP } from 'node:net';
import { WeftError } from '@weft/core';

/** An inclusive port range; a single port has `from === to`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** A CIDR of one address family. */
export interface Cidr {
  readonly family: 'ipv4' | 'ipv6';
  /** As written, with the prefix length added when missing (`10.0.0.1` becomes `10.0.0.1/32`). */
  readonly text: string;
}

/** What the rules redirect and skip. */
export interface InitOptions {
  /** The proxy's inbound listener; inbound TCP is redirected here. Default 7143. */
  readonly inboundPort: number;
  /** The proxy's outbound listener; outbound TCP is redirected here. Default 7140. */
  readonly outboundPort: number;
  /** Traffic from this UID (the proxy) is never redirected. Default 7102. */
  readonly proxyUid: number;
  /** Inbound destination ports that bypass the proxy (the admin port among them). */
  readonly skipInboundPorts: readonly PortRange[];
  /** Outbound destination ports that bypass the proxy. */
  readonly skipOutboundPorts: readonly PortRange[];
  /** Outbound destinations that bypass the proxy. */
  readonly skipOutboundCidrs: readonly Cidr[];
  /**
   * DNS capture (annotation `weft.dev/dns-capture: enabled`): the app's UDP and TCP port 53 go to
   * the proxy's DNS listener on this port; undefined leaves DNS alone.
   */
  readonly dnsPort?: number;
}

/** The options as given on the command line (strings), all optional. */
export interface RawInitOptions {
  inboundPort?: string | number;
  outboundPort?: string | number;
  proxyUid?: string | number;
  skipInboundPorts?: string;
  skipOutboundPorts?: string;
  skipOutboundCidrs?: string;
  /** Turns DNS capture on. */
  dnsCapture?: boolean;
  /** The proxy's DNS port (default 15053); only with dnsCapture. */
  dnsPort?: string | number;
}

function invalid(flag: string, message: string): WeftError {
  return new WeftError('INVALID_ARGUMENT', `--${flag}: ${message}`);
}

function integer(
  flag: string,
  value: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalid(flag, `"${value}" must be an integer from ${min} to ${max}`);
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses `22,8000-8100` into ranges. */
export function parsePortRanges(flag: string, value: string | undefined): PortRange[] {
  return list(value).map((part) => {
    const m = /^(\d{1,5})(?:[-:](\d{1,5}))?$/.exec(part);
    const from = m ? Number(m[1]) : Number.NaN;
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!(from >= 1 && to <= 65535 && from <= to))
      throw invalid(flag, `"${part}" is not a port (1-65535) or a range lo-hi`);
    return { from, to };
  });
}

/** Parses `10.0.0.0/8,fd00::/8` into CIDRs. */
export function parseCidrs(flag: string, value: string | undefined): Cidr[] {
  return list(value).map((part) => {
    const [address = '', prefix, extra] = part.split('/');
    const kind = isIP(address);
    const max = kind === 6 ? 128 : 32;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
    if (kind === 0 || extra !== undefined || !(bits >= 0 && bits <= max)) {
      throw invalid(flag, `"${part}" is not an IPv4 or IPv6 CIDR`);
    }
    return { family: kind === 6 ? 'ipv6' : 'ipv4', text: `${address}/${bits}` };
  });
}

/** Validates raw options; throws a WeftError (INVALID_ARGUMENT) that names the flag. */
export function parseInitOptions(raw: RawInitOptions = {}): InitOptions {
  const inboundPort = integer('inbound-port', raw.inboundPort, 7143, 1, 65535);
  const outboundPort = integer('outbound-port', raw.outboundPort, 7140, 1, 65535);
  if (inboundPort === outboundPort) throw invalid('outbound-port', 'must differ from --inbound-port');
  return {
    inboundPort,
    outboundPort,
    proxyUid: integer('proxy-uid', raw.proxyUid, 7102, 0, 2 ** 31 - 1),
    skipInboundPorts: parsePortRanges('skip-inbound-ports', raw.skipInboundPorts ?? '7191'),
    skipOutboundPorts: parsePortRanges('skip-outbound-ports', raw.skipOutboundPorts),
    skipOutboundCidrs: parseCidrs('skip-outbound-cidrs', raw.skipOutboundCidrs),
    ...(raw.dnsCapture === true ? { dnsPort: integer('dns-port', raw.dnsPort, 15053, 1, 65535) } : {}),
  };
}
