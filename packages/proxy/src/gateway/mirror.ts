/**
 * RequestMirror: a copy of the request goes to the mirror backend, fire and forget. The copy
 * enters the mesh the way the gateway's other requests do (the outbound path, mTLS with the
 * gateway's identity) through a loopback upstream listener the proxy opens for the mirror's
 * authority. Its response is read and dropped; errors are counted, never seen by the client;
 * at most `maxInFlight` copies are outstanding (more are skipped and counted).
 *
 * Only requests without a body are mirrored: teeing a streamed body into a second upstream
 * would tie the client's request to the mirror's pace. Requests with a body are counted as
 * skipped.
 */
import { Agent, request } from 'node:http';
import type { Logger } from '@weft/core';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface MirrorOptions {
  /** Opens (once per authority) a loopback listener carrying plaintext HTTP to `authority` through the mesh. */
  readonly listen: (authority: string) => Promise<number>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly maxInFlight: number;
  /** Whole-exchange timeout of one copy. */
  readonly timeoutMs: number;
}

export interface MirrorRequest {
  readonly method: string;
  readonly target: string;
  /** Request headers to send (hop-by-hop already gone); host included. */
  readonly headers: Readonly<Record<string, string | string[]>>;
}

export class Mirror {
  private readonly ports = new Map<string, Promise<number>>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private inFlight = 0;

  constructor(private readonly options: MirrorOptions) {}

  /** Sends a copy of `req` to `authority`; never throws, never waits. */
  send(authority: string, req: MirrorRequest): void {
    const m = this.options.metrics.mirrors;
    if (this.inFlight >= this.options.maxInFlight) {
      m.inc({ result: 'skipped-concurrency' });
      return;
    }
    this.inFlight++;
    let port = this.ports.get(authority);
    if (port === undefined) {
      port = this.options.listen(authority);
      this.ports.set(authority, port);
      port.catch(() => this.ports.delete(authority));
    }
    let done = false;
    const finish = (result: 'sent' | 'failed') => {
      if (done) return;
      done = true;
      this.inFlight--;
      m.inc({ result });
    };
    port.then(
      (p) => {
        const out = request(
          {
            host: '127.0.0.1',
            port: p,
            method: req.method,
            path: req.target,
            headers: req.headers,
            agent: this.agent,
            timeout: this.options.timeoutMs,
          },
          (res) => {
            res.on('error', () => finish('failed'));
            res.on('end', () => finish('sent'));
            res.resume();
          },
        );
        out.on('timeout', () => out.destroy(new Error('mirror timed out')));
        out.on('error', () => finish('failed'));
        out.on('close', () => finish('failed'));
        out.end();
      },
      (err: unknown) => {
        this.options.logger.warn({ authority, err: String(err) }, 'cannot open the mirror listener');
        finish('failed');
      },
    );
  }

  close(): void {
    this.agent.destroy();
  }
}
