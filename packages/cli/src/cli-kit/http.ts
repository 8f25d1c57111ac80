/** Reads JSON from an admin server (the proxy's or the control plane's), bounded in time and size. */
import { InvalidArgumentError } from 'commander';

/** The largest admin answer read (the whole mesh state of a big cluster fits well within). */
export const MAX_ADMIN_BYTES = 32 * 1024 * 1024;

/**
 * An admin address as given on the command line: `http(s)://host:port`, `host:port`, or a bare
 * port on 127.0.0.1. `defaultPort` applies when only a host is given.
 */
export function parseAdminAddress(value: string, defaultPort: number): string {
  let text = value.trim();
  if (/^\d{1,5}$/.test(text)) text = `127.0.0.1:${text}`;
  if (!/^https?:\/\//.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not an address such as 127.0.0.1:${defaultPort}`);
  }
  if (url.port === '') url.port = String(defaultPort);
  return url.origin;
}

/** GETs `url` and parses its JSON body; throws with the status and the server's words otherwise. */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer in ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new Error(`cannot reach ${url}: ${why}`, { cause: err });
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_ADMIN_BYTES) throw new Error(`${url}: answer larger than ${MAX_ADMIN_BYTES} bytes`);
  const body = await res.text();
  if (body.length > MAX_ADMIN_BYTES) throw new Error(`${url}: answer larger than ${MAX_ADMIN_BYTES} bytes`);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.trim().slice(0, 200)}`);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new Error(`${url}: the answer is not JSON`);
  }
}
