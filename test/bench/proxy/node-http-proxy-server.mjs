// node-http-proxy (npm `http-proxy`) with a keep-alive agent: the Node baseline.
// Usage: node node-http-proxy-server.mjs LISTEN_PORT TARGET_URL
import http from 'node:http';
import httpProxy from 'http-proxy';

const [port, target] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
