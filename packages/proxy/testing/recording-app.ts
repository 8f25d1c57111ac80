/**
 * A test app that records every request path it receives, over HTTP/1.1 and h2c (prior
 * knowledge) on one port, and every TCP connection it accepts (opaque relays included).
 */
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import { type AddressInfo, createServer, type Socket } from 'node:net';

export interface RecordingApp {
  readonly port: number;
  /** Every request target as the app received it (HTTP/1 url or HTTP/2 :path). */
  readonly paths: string[];
  /** Every TCP connection accepted, including ones that never carried a request. */
  readonly connections: Socket[];
  /** Resolves at the next accepted connection. */
  nextConnection(): Promise<Socket>;
  close(): Promise<void>;
}

const H2_PREFACE = 'PRI * HTTP/2.0';

export async function startRecordingApp(): Promise<RecordingApp> {
  const paths: string[] = [];
  const connections: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const answer = (path: string) => `app:${path}`;
  const h1 = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end(answer(req.url ?? '')));
  });
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    const p = String(headers[':path'] ?? '');
    paths.push(p);
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    stream.end(answer(p));
  });
  h2.on('sessionError', () => {});
  const server = createServer((socket) => {
    connections.push(socket);
    for (const w of waiters.splice(0)) w(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const target = first.toString('latin1', 0, H2_PREFACE.length) === H2_PREFACE ? h2 : h1;
      target.emit('connection', socket);
      // node:http2 reads the handle itself; only the HTTP/1 server needs the stream flowing.
      if (target === h1) socket.resume();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    paths,
    connections,
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      for (const s of connections) s.destroy();
      h1.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
