/** The webhook's HTTPS server: express 5 routes over the review handler, /healthz and /metrics. */

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '@weft/runtime';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { InjectorMetrics } from './metrics.js';
import type { HttpAnswer, ReviewHandler } from './review-handler.js';

/** The largest AdmissionReview body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookServerOptions {
  readonly handler: ReviewHandler;
  readonly metrics: InjectorMetrics;
  readonly logger: Logger;
  /** The initial serving certificate; replace it later with `setCertificate`. */
  readonly tls: SecureContextOptions;
  readonly host: string;
  readonly port: number;
  /** Reported by /healthz. */
  readonly ready?: () => boolean;
}

/** A running webhook server. `close()` stops accepting and waits for open requests. */
export interface WebhookServer {
  readonly address: AddressInfo;
  setCertificate(tls: SecureContextOptions): void;
  close(): Promise<void>;
}

/** Writes a JSON answer directly: no ETag, no freshness check — every review is answered anew. */
function send(res: Response, answer: HttpAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Builds the express app (exported for tests that want no TLS). */
export function createWebhookApp(
  options: Omit<WebhookServerOptions, 'tls' | 'host' | 'port'>,
): express.Express {
  const { handler, metrics } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  app.post(
    '/inject',
    express.raw({ type: () => true, limit: MAX_BODY_BYTES }),
    (req: Request, res: Response, next) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      handler.review(body).then((answer) => send(res, answer), next);
    },
  );
  app.get('/healthz', (_req, res) => {
    const ready = options.ready?.() ?? true;
    res.status(200).json({ status: 'ok', namespacesSynced: ready });
  });
  app.get('/metrics', (_req, res, next) => {
    metrics.registry.metrics().then((text) => res.type(metrics.registry.contentType).send(text), next);
  });
  app.use((_req, res) => {
    res
      .status(404)
      .json({ reason: 'not-found', message: 'the webhook serves POST /inject, GET /healthz, GET /metrics' });
  });
  // body-parser errors (too large, bad encoding, aborted) become a 400 with a JSON reason.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      send(res, handler.badRequest('too-large', `the body is larger than ${MAX_BODY_BYTES} bytes`));
    } else if (typeof type === 'string') {
      send(res, handler.badRequest('unreadable-body', `the body could not be read (${type})`));
    } else {
      metrics.badRequests.inc({ reason: 'internal' });
      options.logger.error({ err: String(err) }, 'webhook request failed');
      if (!res.headersSent) res.status(500).json({ reason: 'internal', message: 'internal error' });
    }
  });
  return app;
}

/** Starts the HTTPS webhook server and resolves once it listens. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const app = createWebhookApp(options);
  const server: Server = createServer({ ...options.tls, minVersion: 'TLSv1.2' }, app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('tlsClientError', (err) => options.logger.debug({ err: err.message }, 'TLS handshake failed'));
  return {
    address: server.address() as AddressInfo,
    setCertificate: (tls) => server.setSecureContext(tls),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
