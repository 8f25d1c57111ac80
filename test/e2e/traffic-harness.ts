/** Shared pieces of the traffic e2e tests: backend processes, a fixed-concurrency load generator, closed ports. */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BACKEND = fileURLToPath(new URL('./fixtures/traffic-backend.mjs', import.meta.url));

export interface BackendConfig {
  name: string;
  delayMs?: number;
  failRate?: number;
  /** Status of a failed answer; default 503. */
  failStatus?: number;
  seed?: number;
  /** Port to listen on (default 0: any), to restart a killed backend in place. */
  port?: number;
}

export interface BackendStats {
  name: string;
  requests: number;
  byMethod: Record<string, number>;
  byAttempt: Record<string, number>;
  failures: number;
  bodyBytes: number;
}

/** A backend process on 127.0.0.1; `kill` sends a signal to exactly this child. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  stats(): Promise<BackendStats>;
  configure(patch: Partial<BackendConfig>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a backend process and waits until it prints its port. */
export async function startBackend(config: BackendConfig): Promise<Backend> {
  const child = spawn(process.execPath, [BACKEND, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`backend ${config.name} exited (${code}) before listening`)),
    );
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const call = async (method: string, path: string, body?: string) => {
    const r = await send({ port, method, path, ...(body === undefined ? {} : { body }) });
    return r.body;
  };
  return {
    name: config.name,
    port,
    child,
    stats: async () => JSON.parse(await call('GET', '/__stats')) as BackendStats,
    configure: async (patch) => {
      await call('POST', '/__config', JSON.stringify(patch));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Response {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP/1.1 request on a keep-alive agent; resolves with status 0 on a transport error. */
export function send(o: {
  port: number;
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}): Promise<Response> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: o.port,
        method: o.method ?? 'GET',
        path: o.path ?? '/',
        agent,
        headers: o.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (err) => resolve({ status: 0, body: String(err), headers: {} }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: String(err), headers: {} }));
    req.end(o.body);
  });
}

export interface LoadResult {
  total: number;
  byStatus: Record<number, number>;
  /** 200 responses by body (the backend's name). */
  byBackend: Record<string, number>;
}

/**
 * Sends exactly `total` requests with `concurrency` in flight, counting results. `onProgress`
 * runs after each completed request (e.g. to change weights or kill a backend mid-run).
 */
export async function load(o: {
  port: number;
  total: number;
  concurrency: number;
  method?: string;
  path?: string;
  onProgress?: (done: number) => void | Promise<void>;
}): Promise<LoadResult> {
  const result: LoadResult = { total: o.total, byStatus: {}, byBackend: {} };
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < o.total) {
      started++;
      const r = await send({ port: o.port, method: o.method ?? 'GET', path: o.path ?? '/' });
      result.byStatus[r.status] = (result.byStatus[r.status] ?? 0) + 1;
      if (r.status === 200) result.byBackend[r.body] = (result.byBackend[r.body] ?? 0) + 1;
      done++;
      await o.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return result;
}

/** Destroys the shared keep-alive agent's sockets (call in afterAll). */
export function closeAgent(): void {
  agent.destroy();
}

/** A TCP port on 127.0.0.1 that refuses connections (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
