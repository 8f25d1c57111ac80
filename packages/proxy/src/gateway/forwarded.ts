/**
 * x-forwarded-for/-proto/-host and RFC 7239 `forwarded`, set deliberately: values a trusted
 * proxy (`--trusted-proxies`) sent are kept and appended to; from anyone else they are replaced,
 * so a client cannot make the app believe it came from elsewhere. Pure but for BlockList.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { WeftError } from '@weft/core';
import type { HeaderBag } from './header-bag.js';

/** Whose forwarded headers the gateway keeps. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** `cidrs`: "10.0.0.0/8", "::1/128", or a bare address. Throws WeftError INVALID_ARGUMENT. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, bits] = c.split('/', 2) as [string, string | undefined];
      const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
      const max = type === 'ipv4' ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (type === undefined || !/^\d{0,3}$/.test(bits ?? '') || prefix > max) {
        throw new WeftError('INVALID_ARGUMENT', `trusted proxy "${c}" is not an address or CIDR`);
      }
      this.list.addSubnet(addr, prefix, type);
    }
    this.size = cidrs.length;
  }

  trusts(address: string): boolean {
    if (this.size === 0) return false;
    const a = unmapped(address);
    if (isIPv4(a)) return this.list.check(a, 'ipv4');
    if (isIPv6(a)) return this.list.check(a, 'ipv6');
    return false;
  }
}

/** "::ffff:1.2.3.4" -> "1.2.3.4" (a v4 client on a dual-stack socket). */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** IPv6 (the socket's own form of a peer address): only IPv6 has colons, so IPv4 skips the long regex. */
function isV6(address: string): boolean {
  return address.includes(':') && isIPv6(address);
}

export interface ForwardedFacts {
  /** The connecting peer's address. */
  readonly peer: string;
  readonly proto: 'http' | 'https';
  /** The Host (or :authority) the client sent. */
  readonly host: string;
  /** True when the peer is a trusted proxy. */
  readonly trusted: boolean;
}

/** A `forwarded` node: IPv6 quoted in brackets (RFC 7239 section 6). */
function node(address: string): string {
  const a = unmapped(address);
  return isV6(a) ? `"[${a}]"` : a;
}

function quoted(value: string): string {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Sets the forwarded headers on `headers` for a request from `facts.peer`. */
export function setForwardedHeaders(headers: HeaderBag, facts: ForwardedFacts): void {
  const peer = unmapped(facts.peer);
  const element = `for=${node(peer)};host=${quoted(facts.host)};proto=${facts.proto}`;
  if (facts.trusted) {
    const xff = headers.get('x-forwarded-for');
    headers.set('x-forwarded-for', xff === undefined || xff === '' ? peer : `${xff}, ${peer}`);
    if (headers.get('x-forwarded-proto') === undefined) headers.set('x-forwarded-proto', facts.proto);
    if (headers.get('x-forwarded-host') === undefined) headers.set('x-forwarded-host', facts.host);
    const fwd = headers.get('forwarded');
    headers.set('forwarded', fwd === undefined || fwd === '' ? element : `${fwd}, ${element}`);
    return;
  }
  headers.set('x-forwarded-for', peer);
  headers.set('x-forwarded-proto', facts.proto);
  headers.set('x-forwarded-host', facts.host);
  headers.set('forwarded', element);
}

/** Headers a client may not send into the mesh: the proxies' own (x-weft-*), removed at the edge. */
export function stripInternalHeaders(headers: HeaderBag): void {
  headers.removePrefix('x-weft-');
}
