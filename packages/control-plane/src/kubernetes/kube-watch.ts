/**
 * The watch half of an informer: client-node's ListWatch drives it, but unlike client-node's own
 * Watch it reports when the stream opened and every event it carried (so the informer can reset
 * its backoff), keeps the server's `Retry-After` on a refused watch, asks for bookmarks, and caps
 * the size of one event.
 */
import type { IncomingMessage } from 'node:http';
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeApiError, prepareRequest, retryAfterMs } from './kube-client.js';

/** One watch event larger than this ends the watch with an error (objects are at most ~1.5 MB). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** Bytes of a refused watch's body read for its message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** What the informer learns from the stream besides the events ListWatch handles. */
export interface WatchObserver {
  /** The server answered 200: the watch is open. */
  opened(): void;
  /** An event arrived (ADDED, MODIFIED, DELETED, BOOKMARK or ERROR). */
  event(type: string): void;
}

type Callback = Parameters<Watch['watch']>[2];

/** Object events whose object the informer caches (and so may transform first). */
const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

export class KubeWatch extends Watch {
  /** `transform` rewrites each ADDED/MODIFIED/DELETED object before ListWatch caches it. */
  constructor(
    config: KubeConfig,
    private readonly observer: WatchObserver,
    private readonly transform?: (object: Record<string, unknown>) => Record<string, unknown>,
    /** Added to every watch request (a field selector). */
    private readonly extraQuery?: Readonly<Record<string, string>>,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: Callback,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      // ListWatch aborted this watch itself (stop, or a newer watch): it expects no callback.
      if (controller.signal.aborted) return;
      controller.abort();
      done(err);
    };
    const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true' });
    for (const [k, v] of Object.entries(queryParams)) if (v !== undefined) query.set(k, String(v));
    for (const [k, v] of Object.entries(this.extraQuery ?? {})) query.set(k, v);
    let prepared: Awaited<ReturnType<typeof prepareRequest>>;
    try {
      prepared = await prepareRequest(this.config, `${path}?${query}`);
    } catch (err) {
      finish(err);
      return controller;
    }
    const { url, options, headers, send } = prepared;
    const req = send(url, { ...options, method: 'GET', headers, signal: controller.signal }, (res) => {
      if (res.statusCode !== 200) {
        refused(res, `GET ${path}`).then(finish, finish);
        return;
      }
      res.socket?.setKeepAlive(true, 30_000);
      this.observer.opened();
      readEvents(res, (type, object, raw) => {
        this.observer.event(type);
        const t = this.transform;
        const isObject = typeof object === 'object' && object !== null;
        callback(
          type,
          t !== undefined && isObject && OBJECT_EVENTS.has(type)
            ? t(object as Record<string, unknown>)
            : object,
          raw,
        );
      }).then(
        () => finish(null),
        (err: unknown) => finish(err),
      );
    });
    req.on('error', (err) => finish(new KubeApiError(0, `GET ${url.origin}${path} (watch): ${err.message}`)));
    req.end();
    return controller;
  }
}

/** The error of a non-200 watch answer: its status, message and Retry-After. */
async function refused(res: IncomingMessage, what: string): Promise<KubeApiError> {
  let text = '';
  for await (const chunk of res) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_ERROR_BODY_BYTES) break;
  }
  res.destroy();
  const status = res.statusCode ?? 0;
  let detail = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // not JSON; keep the text
  }
  const retryAfter = retryAfterMs(status, res.headers['retry-after'], Date.now());
  return new KubeApiError(status, `${what} (watch): ${status} ${detail}`, retryAfter);
}

/** Reads newline-delimited watch events until the stream ends; rejects when it breaks. */
function readEvents(
  res: IncomingMessage,
  onEvent: (type: string, object: unknown, raw: unknown) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') {
          let parsed: { type?: unknown; object?: unknown } | undefined;
          try {
            parsed = JSON.parse(line) as { type?: unknown; object?: unknown };
          } catch {
            parsed = undefined;
          }
          if (parsed !== undefined && typeof parsed.type === 'string' && typeof parsed.object === 'object')
            onEvent(parsed.type, parsed.object, parsed);
        }
        nl = buffered.indexOf('\n');
      }
      if (buffered.length > MAX_EVENT_BYTES) {
        res.destroy();
        reject(new KubeApiError(0, `a watch event exceeds ${MAX_EVENT_BYTES} bytes`));
      }
    });
    res.on('end', () => resolve());
    res.on('aborted', () => reject(new KubeApiError(0, 'the watch connection was cut')));
    res.on('error', (err) => reject(new KubeApiError(0, `the watch connection failed: ${err.message}`)));
    res.on('close', () => {
      if (!res.complete) reject(new KubeApiError(0, 'the watch connection was cut'));
    });
  });
}
