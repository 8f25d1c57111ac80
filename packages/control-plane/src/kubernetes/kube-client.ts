/**
 * Raw JSON requests to the Kubernetes API with a KubeConfig's credentials. Lists are read raw
 * (not through client-node's typed deserializer) so that listed and watched objects have the
 * same shape.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { WeftError } from '@weft/core';

/** A non-2xx answer from the API server. `statusCode` is what client-node's ListWatch looks at (410). */
export class KubeApiError extends WeftError {
  constructor(
    readonly statusCode: number,
    message: string,
    /** The server's `Retry-After` on a 429 or 503, in milliseconds (uncapped). */
    readonly retryAfterMs?: number,
  ) {
    super(
      statusCode === 404
        ? 'NOT_FOUND'
        : statusCode === 403 || statusCode === 401
          ? 'PERMISSION_DENIED'
          : 'UNAVAILABLE',
      message,
    );
    this.name = 'KubeApiError';
  }

  /** client-node reads `code` too; keep the HTTP status there as well for 410. */
  get httpCode(): number {
    return this.statusCode;
  }
}

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * `Retry-After` of a 429 or 503 answer in milliseconds (delay-seconds or an HTTP date), or
 * undefined when there is none, it does not parse, or the status does not carry one.
 */
export function retryAfterMs(status: number, header: string | undefined, now: number): number | undefined {
  if ((status !== 429 && status !== 503) || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The error of an answer with a non-2xx `status` to `what` (say "GET /api/v1/pods"): the API
 * server's Status message, or the start of the body when it is not one, and its Retry-After.
 */
export function refusal(
  status: number,
  body: string,
  retryAfter: string | undefined,
  what: string,
): KubeApiError {
  let detail = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // not JSON; keep the text
  }
  return new KubeApiError(
    status,
    `${what}: ${status} ${detail}`,
    retryAfterMs(status, retryAfter, Date.now()),
  );
}

/** Where a request goes and how it authenticates: the URL, TLS options and headers of `kc`. */
export interface PreparedRequest {
  readonly url: URL;
  readonly options: RequestOptions;
  readonly headers: Record<string, string | string[] | number>;
  readonly send: typeof httpsRequest;
}

/** The URL, credentials and TLS settings for `path` on the kubeconfig's current cluster. */
export async function prepareRequest(kc: KubeConfig, path: string): Promise<PreparedRequest> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new WeftError('FAILED_PRECONDITION', 'the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  const headers: Record<string, string | string[] | number> = { accept: 'application/json' };
  for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k] = v;
  const send = url.protocol === 'https:' ? httpsRequest : (httpRequest as typeof httpsRequest);
  return { url, options, headers, send };
}

/** Sends one request; resolves with the parsed JSON body, rejects with a KubeApiError on non-2xx. */
export async function kubeRequest(kc: KubeConfig, req: KubeRequest): Promise<unknown> {
  const { url, options: opts, headers, send } = await prepareRequest(kc, req.path);
  const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  if (body !== undefined) {
    headers['content-type'] = req.contentType ?? 'application/json';
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const r = send(url, { ...opts, method: req.method, headers, timeout: req.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy();
          reject(
            new KubeApiError(
              0,
              `${req.method} ${req.path}: response larger than ${MAX_RESPONSE_BYTES} bytes`,
            ),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(refusal(status, text, res.headers['retry-after'], `${req.method} ${req.path}`));
          return;
        }
        try {
          resolve(text === '' ? {} : JSON.parse(text));
        } catch (err) {
          reject(new KubeApiError(status, `${req.method} ${req.path}: response is not JSON`));
          void err;
        }
      });
    });
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: timed out`)));
    r.on('error', (err) =>
      reject(new KubeApiError(0, `${req.method} ${url.origin}${req.path}: ${err.message}`)),
    );
    r.end(body);
  });
}
