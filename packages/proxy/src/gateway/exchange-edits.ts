/** What the gateway changes about a request before the outbound path sends it, for either protocol. */
import type { Destination } from '../discovery/resolver.js';
import type { BodyTarget } from '../http1/body-target.js';
import type { Http1Pool } from '../http1/pool.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { HeaderModifier } from './compiled.js';
import type { HeaderBag } from './header-bag.js';

export interface ExchangeEdits {
  /** The backend's mesh authority: the name the resolve layer looks up. */
  readonly name: string;
  /**
   * Where the request goes if the control plane says the name is not in the mesh (as for a
   * sidecar's explicit upstream: the authority's own host and port).
   */
  readonly egress: UpstreamTarget | undefined;
  /** The new request target (path and query), or undefined to keep it. */
  readonly target: string | undefined;
  /** The new Host / :authority, or undefined to keep it. */
  readonly host: string | undefined;
  /** Edits the request headers (forwarded headers, header filters). */
  readonly editHeaders: (headers: HeaderBag) => void;
  /** Response header modifiers, in order. */
  readonly responseModifiers: readonly HeaderModifier[];
  /**
   * HTTP/2 requests: whether to send this one to the backend as HTTP/1.1 (see h2-downgrade.ts),
   * asked when it is sent (the destination, if any, is known then); and the HTTP/1 pool to use.
   */
  readonly downgrade: (destination: Destination | undefined) => boolean;
  readonly http1Pool: () => Http1Pool;
  /** The route's timeout for a backend outside the mesh (ms; NaN: none). See fixed-timeout.ts. */
  readonly fixedTimeoutMs: number;
  /** Sees the request body as the backend is sent it (a mirror's copy); never slows it. */
  readonly bodyTap?: BodyTap | undefined;
}

/**
 * A copy of the request body as it is read for the backend: HTTP/1 bytes as framed by the
 * client, HTTP/2 DATA payloads. Called on the primary's reads; must not throw or block.
 */
export interface BodyTap {
  push(chunk: Buffer): void;
  end(): void;
}

/** `target` with every chunk and its end also given to `tap`; back-pressure is `target`'s alone. */
export function teeTarget(target: BodyTarget, tap: BodyTap): BodyTarget {
  return {
    write(chunk) {
      tap.push(chunk);
      return target.write(chunk);
    },
    end() {
      tap.end();
      target.end();
    },
    onDrain: (resume) => target.onDrain(resume),
  };
}

/**
 * Response headers the mesh's proxies add for each other (`x-weft-*`, e.g. the policy that
 * denied a request): not for clients outside the mesh.
 */
export function isInternal(lowerName: string): boolean {
  return lowerName.startsWith('x-weft-');
}
