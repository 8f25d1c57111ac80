// The alternatives the benchmark compares weft against, each started pinned to the proxy
// core: HAProxy (HTTP, HTTP over an mTLS pair, TCP), nginx, node-http-proxy; plus the
// shared origins (nginx returning 1 KiB, an iperf3 server).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startPinned, waitForPort } from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** 1 KiB of response body. */
export const BODY = 'weft-bench-'.padEnd(1024, 'x');

function nginxPreamble(dir) {
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
`;
}

async function startNginx(name, core, dir, serverBlock, port) {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `${nginxPreamble(dir)}${serverBlock}\n}\n`);
  const proc = startPinned(name, core, 'nginx', ['-c', conf, '-p', dir, '-e', 'stderr']);
  await waitForPort(proc, port);
  return proc;
}

/** The HTTP origin: nginx, one worker, answering every request with 200 and BODY. */
export async function startHttpOrigin({ core, dir }) {
  const port = await freePort();
  const block = `  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { default_type text/plain; return 200 "${BODY}"; }
  }`;
  const proc = await startNginx('origin-nginx', core, join(dir, 'origin'), block, port);
  return { port, procs: [proc] };
}

/** The TCP origin: an iperf3 server (serves one test after another). */
export async function startTcpOrigin({ core }) {
  const port = await freePort();
  const proc = startPinned('iperf3-server', core, 'iperf3', [
    '-s',
    '-B',
    '127.0.0.1',
    '-p',
    String(port),
    '-A',
    String(core),
  ]);
  await waitForPort(proc, port);
  return { port, procs: [proc] };
}

function haproxyGlobal(mode) {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode ${mode}
  timeout connect 5s
  timeout client 60s
  timeout server 60s
${mode === 'http' ? '  option http-keep-alive\n  http-reuse always\n' : ''}`;
}

async function startHaproxy(name, core, dir, body, port, mode = 'http') {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, `${haproxyGlobal(mode)}${body}`);
  const proc = startPinned(name, core, 'haproxy', ['-db', '-f', cfg]);
  await waitForPort(proc, port);
  return proc;
}

/** HAProxy 1 thread, HTTP mode, keep-alive and connection reuse to the origin. */
export async function startHaproxyHttp({ core, dir, originPort }) {
  const port = await freePort();
  const body = `frontend fe
  bind 127.0.0.1:${port}
  default_backend origin
backend origin
  server origin 127.0.0.1:${originPort}
`;
  const proc = await startHaproxy('haproxy-http', core, join(dir, 'haproxy-http'), body, port);
  return { url: `http://127.0.0.1:${port}/`, procs: [proc] };
}

/**
 * Two HAProxy instances (1 thread each, both on the proxy core) with mutually
 * authenticated TLS between them: the same hop as two weft sidecars.
 */
export async function startHaproxyMtlsPair({ core, dir, originPort, certs }) {
  const port = await freePort();
  const hop = await freePort();
  const server = `frontend inbound
  bind 127.0.0.1:${hop} ssl crt ${certs.server} ca-file ${certs.ca} verify required alpn http/1.1
  default_backend origin
backend origin
  server origin 127.0.0.1:${originPort}
`;
  const client = `frontend outbound
  bind 127.0.0.1:${port}
  default_backend peer
backend peer
  server peer 127.0.0.1:${hop} ssl crt ${certs.client} ca-file ${certs.ca} verify required alpn http/1.1 sni str(server)
`;
  const inbound = await startHaproxy('haproxy-mtls-inbound', core, join(dir, 'haproxy-mtls'), server, hop);
  const outbound = await startHaproxy('haproxy-mtls-outbound', core, join(dir, 'haproxy-mtls'), client, port);
  return { url: `http://127.0.0.1:${port}/`, procs: [outbound, inbound] };
}

/** HAProxy 1 thread in `mode tcp` in front of the TCP origin. */
export async function startHaproxyTcp({ core, dir, tcpOriginPort }) {
  const port = await freePort();
  const body = `frontend fe
  bind 127.0.0.1:${port}
  default_backend origin
backend origin
  server origin 127.0.0.1:${tcpOriginPort}
`;
  const proc = await startHaproxy('haproxy-tcp', core, join(dir, 'haproxy-tcp'), body, port, 'tcp');
  return { port, procs: [proc] };
}

/** nginx, one worker, HTTP/1.1 upstream keepalive. */
export async function startNginxProxy({ core, dir, originPort }) {
  const port = await freePort();
  const block = `  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 256;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
  const proc = await startNginx('nginx-proxy', core, join(dir, 'nginx-proxy'), block, port);
  return { url: `http://127.0.0.1:${port}/`, procs: [proc] };
}

/** node-http-proxy with a keep-alive agent. */
export async function startNodeHttpProxy({ core, originPort }) {
  const port = await freePort();
  const script = join(here, 'node-http-proxy-server.mjs');
  const proc = startPinned('node-http-proxy', core, process.execPath, [
    script,
    String(port),
    `http://127.0.0.1:${originPort}`,
  ]);
  await waitForPort(proc, port);
  return { url: `http://127.0.0.1:${port}/`, procs: [proc] };
}

/** Two HAProxy instances in `mode tcp` with mTLS between them (the opaque mesh hop). */
export async function startHaproxyTcpMtlsPair({ core, dir, tcpOriginPort, certs }) {
  const port = await freePort();
  const hop = await freePort();
  const server = `frontend inbound
  bind 127.0.0.1:${hop} ssl crt ${certs.server} ca-file ${certs.ca} verify required
  default_backend origin
backend origin
  server origin 127.0.0.1:${tcpOriginPort}
`;
  const client = `frontend outbound
  bind 127.0.0.1:${port}
  default_backend peer
backend peer
  server peer 127.0.0.1:${hop} ssl crt ${certs.client} ca-file ${certs.ca} verify required sni str(server)
`;
  const d = join(dir, 'haproxy-tcp-mtls');
  const inbound = await startHaproxy('haproxy-tcp-mtls-inbound', core, d, server, hop, 'tcp');
  const outbound = await startHaproxy('haproxy-tcp-mtls-outbound', core, d, client, port, 'tcp');
  return { port, procs: [outbound, inbound] };
}
