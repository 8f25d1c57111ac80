// The TLS-terminating reverse proxies the gateway is compared with, configured alike: HAProxy
// (nbthread 1) and nginx (one worker), each ending TLS 1.3 with the same ECDSA P-256
// certificate (ALPN h2 and http/1.1 offered), adding x-forwarded-for/-proto as the gateway does,
// and keeping HTTP/1.1 connections to the upstream alive.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startPinned, waitForPort } from '../proxy/processes.mjs';

/** HAProxy, 1 thread, TLS terminated on the frontend, keep-alive and reuse to the upstream. */
export async function startHaproxyTls({ core, dir, originPort, cert }) {
  const port = await freePort();
  const d = join(dir, 'haproxy-tls');
  mkdirSync(d, { recursive: true });
  const cfg = join(d, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  nbthread 1
  maxconn 4096
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:${port} ssl crt ${cert.pem} alpn h2,http/1.1
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  default_backend origin
backend origin
  server origin 127.0.0.1:${originPort}
`,
  );
  const proc = startPinned('haproxy-tls', core, 'haproxy', ['-db', '-f', cfg]);
  await waitForPort(proc, port);
  return { port, procs: [proc] };
}

/** nginx, 1 worker, TLS terminated, HTTP/1.1 upstream keepalive. */
export async function startNginxTls({ core, dir, originPort, cert }) {
  const port = await freePort();
  const d = join(dir, 'nginx-tls');
  const tmp = join(d, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const conf = join(d, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(d, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 256;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} ssl http2 backlog=4096;
    ssl_certificate ${cert.chain};
    ssl_certificate_key ${cert.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  const proc = startPinned('nginx-tls', core, 'nginx', ['-c', conf, '-p', d, '-e', 'stderr']);
  await waitForPort(proc, port);
  return { port, procs: [proc] };
}

/**
 * The floor of anything written on node:tls: a Node process that ends TLS exactly as the gateway
 * does (same certificate, ALPN, TLS 1.2+) and relays bytes to the upstream over one connection
 * per client connection, parsing nothing. Not an alternative proxy (it adds no headers and
 * reads no HTTP): what Node's TLS and sockets cost alone, so the table shows how much of the gap
 * to HAProxy is Node's and how much is the gateway's own work.
 */
export async function startNodeTlsFloor({ core, dir, originPort, cert, node = process.execPath, env }) {
  const port = await freePort();
  const script = join(dir, 'node-tls-floor.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';
const server = createServer({
  cert: readFileSync(${JSON.stringify(cert.chain)}),
  key: readFileSync(${JSON.stringify(cert.key)}),
  ALPNProtocols: ['http/1.1'],
  minVersion: 'TLSv1.2',
}, (client) => {
  client.setNoDelay(true);
  client.on('error', () => client.destroy());
  // The upstream connection is opened by the first request bytes, as a proxy would.
  client.once('data', (first) => {
    const upstream = connect({ port: ${originPort}, host: '127.0.0.1', noDelay: true });
    upstream.write(first);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('close', close);
    upstream.on('error', close).on('close', close);
  });
});
server.on('tlsClientError', (_err, socket) => socket.destroy());
server.listen(${port}, '127.0.0.1');
`,
  );
  const proc = startPinned('node-tls-floor', core, node, [script], { env });
  await waitForPort(proc, port);
  return { port, procs: [proc] };
}
