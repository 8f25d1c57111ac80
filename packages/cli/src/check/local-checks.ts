/**
 * Local-mode checks: the running control plane's admin server (/healthz, /readyz, the
 * connected proxies from /debug/state) and the identity folder's certificates.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '@weft/core';
import { IDENTITY_FILES, loadIdentityDir } from '@weft/pki';
import { expiryCheck, parsePemCertificates } from './certificates.js';
import { type Check, fail, ok, warn } from './result.js';
import { type ProxyVersion, versionsCheck } from './versions.js';

/** GET `path` on the admin server; a network error names the address. */
async function get(
  baseUrl: string,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const url = new URL(path, baseUrl);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new Error(
      `cannot reach ${url}: ${describeError(cause ?? err)}\nis the control plane running (weft up, weft control-plane)?`,
      { cause: err },
    );
  }
}

/** Pure: the hint for a /readyz answer other than 200: the status and the failing `[-]` lines. */
export function readyzHint(status: number, text: string): string {
  const failing = text.split('\n').filter((l) => l.startsWith('[-]'));
  if (failing.length > 0) return `HTTP ${status}\n${failing.join('\n')}`;
  return text.trim() === '' ? `HTTP ${status}` : `HTTP ${status}: ${text.trim()}`;
}

/** /healthz and /readyz of the control plane's admin server at `baseUrl`. */
export function adminHealthChecks(baseUrl: string, timeoutMs: number): Check[] {
  return [
    {
      name: 'control plane is running (/healthz)',
      async run() {
        const { status, text } = await get(baseUrl, '/healthz', timeoutMs);
        return status === 200
          ? ok('control plane is running (/healthz)', baseUrl)
          : fail('control plane is running (/healthz)', `HTTP ${status}: ${text.trim()}`);
      },
    },
    {
      name: 'control plane is ready (/readyz)',
      async run() {
        const { status, text } = await get(baseUrl, '/readyz', timeoutMs);
        if (status === 200) return ok('control plane is ready (/readyz)');
        return fail('control plane is ready (/readyz)', readyzHint(status, text));
      },
    },
  ];
}

/** Pure: the proxies listed in /debug/state (`proxies[].identity`, `proxies[].proxyVersion`). */
export function proxiesFromDebugState(state: unknown): ProxyVersion[] {
  const proxies = (state as { proxies?: unknown } | null)?.proxies;
  if (!Array.isArray(proxies)) throw new Error('/debug/state has no "proxies" list');
  return proxies.map((p: unknown) => {
    const item = (p ?? {}) as Record<string, unknown>;
    const proxy = typeof item.identity === 'string' ? item.identity : String(item.workload ?? item.id ?? '?');
    const version =
      typeof item.proxyVersion === 'string' && item.proxyVersion !== '' ? item.proxyVersion : undefined;
    return { proxy, version };
  });
}

/** The connected proxies and their versions against `expected` (this weft's version). */
export function connectedProxiesCheck(baseUrl: string, expected: string, timeoutMs: number): Check {
  const name = 'connected proxies run this weft version';
  return {
    name,
    async run() {
      const { status, text } = await get(baseUrl, '/debug/state', timeoutMs);
      if (status === 403) {
        return warn(
          name,
          '/debug/state is served to loopback clients only: run weft check on the control plane host',
        );
      }
      if (status !== 200) return fail(name, `GET /debug/state: HTTP ${status}: ${text.trim()}`);
      return versionsCheck(
        name,
        expected,
        proxiesFromDebugState(JSON.parse(text)),
        'restart those proxies with this weft',
        `no proxies connected; weft ${expected}`,
      );
    },
  };
}

/** The identity folder: it loads (issuer chains to the anchor, keys match) and neither certificate expires soon. */
export function identityDirChecks(dir: string, now: () => number): Check[] {
  const read = async (file: string) => {
    const path = join(dir, file);
    return parsePemCertificates(await readFile(path, 'utf8'), path);
  };
  return [
    {
      name: 'identity folder loads',
      async run() {
        const loaded = await loadIdentityDir(dir);
        return ok('identity folder loads', `trust domain ${loaded.trustDomain}`);
      },
    },
    {
      name: 'trust anchor is valid for at least 30 days',
      run: async () =>
        expiryCheck('trust anchor is valid for at least 30 days', await read(IDENTITY_FILES.anchorCert), {
          now: now(),
          remedy: `plan a trust anchor rotation (${join(dir, IDENTITY_FILES.anchorCert)})`,
        }),
    },
    {
      name: 'issuer certificate is valid for at least 30 days',
      run: async () =>
        expiryCheck(
          'issuer certificate is valid for at least 30 days',
          (await read(IDENTITY_FILES.issuerCert)).slice(0, 1),
          {
            now: now(),
            remedy: `sign a new issuer with the same trust anchor (weft identity rotate-issuer --dir ${dir}), then restart the control plane`,
          },
        ),
    },
  ];
}
