/** The gateway's config as the request path uses it: checked once, grouped by port, regexes and TLS contexts built. */

import type { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { CompiledMatch, RetryPolicy, WeightedChoice } from '@weft/core';
import type { UpstreamTarget } from '../net/upstream-target.js';

/** A header modifier (Gateway API HTTPHeaderFilter): set, add and remove, in that order. */
export interface HeaderModifier {
  /** Lower-case names. */
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

/** ReplaceFullPath or ReplacePrefixMatch. */
export type PathModifier =
  | { readonly type: 'full'; readonly value: string }
  | { readonly type: 'prefix'; readonly value: string };

export type CompiledFilter =
  | { readonly type: 'request-headers'; readonly modifier: HeaderModifier }
  | { readonly type: 'response-headers'; readonly modifier: HeaderModifier }
  | {
      readonly type: 'redirect';
      readonly scheme: '' | 'http' | 'https';
      readonly hostname: string;
      readonly path: PathModifier | undefined;
      readonly port: number;
      readonly statusCode: 301 | 302;
    }
  | { readonly type: 'rewrite'; readonly hostname: string; readonly path: PathModifier | undefined }
  | {
      readonly type: 'mirror';
      readonly authority: string;
      readonly numerator: number;
      readonly denominator: number;
    };

export interface CompiledBackend {
  readonly authority: string;
  /** Where requests go when the control plane says the authority is not in the mesh. */
  readonly egress: UpstreamTarget | undefined;
  readonly filters: readonly CompiledFilter[];
  /** Non-empty: requests that pick this backend are answered 500. */
  readonly unresolvedReason: string;
}

export interface CompiledRoute {
  readonly name: string;
  readonly hostnames: readonly string[];
  /** Empty: every request. */
  readonly matches: readonly CompiledMatch[];
  readonly filters: readonly CompiledFilter[];
  /**
   * The rule's ResponseHeaderModifiers, in order: also applied to the gateway's own answers to
   * requests matching the rule (a redirect, a 500 for no usable backend).
   */
  readonly responseModifiers: readonly HeaderModifier[];
  /** Backends with weight > 0; `total` 0 means every request is answered 500. */
  readonly backends: WeightedChoice<CompiledBackend>;
  /** NaN: none. */
  readonly requestTimeoutMs: number;
  /** NaN: none. */
  readonly backendRequestTimeoutMs: number;
  /** The rule's retry policy, compiled; undefined: the backend service's. */
  readonly retry: RetryPolicy | undefined;
  readonly grpc: boolean;
}

export interface CompiledCertificate {
  /** "<namespace>/<secret>". */
  readonly name: string;
  readonly context: SecureContext;
  readonly x509: X509Certificate;
  /** PEMs for the no-SNI default context (`setSecureContext`); never logged nor shown in /config. */
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface CompiledListener {
  readonly name: string;
  readonly hostname: string;
  readonly routes: readonly CompiledRoute[];
  readonly certificates: readonly CompiledCertificate[];
}

/** Every listener on one port (they share a protocol; HTTPS ones are told apart by SNI and Host). */
export interface CompiledPort {
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly listeners: readonly CompiledListener[];
}

export interface CompiledGateway {
  readonly ports: ReadonlyMap<number, CompiledPort>;
}

/** The empty config a gateway starts with (no ports). */
export const EMPTY_GATEWAY: CompiledGateway = { ports: new Map() };
