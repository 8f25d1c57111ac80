// One HTTP request to an admin port: METHOD HOST PORT PATH [HEADER=VALUE ...]; prints
// {status, body} or, when the connection fails, {error: code}. Exit 0 either way.
import { request } from 'node:http';

const [method, host, port, path, ...headerArgs] = process.argv.slice(2);
const headers = Object.fromEntries(
  headerArgs.map((h) => [h.slice(0, h.indexOf('=')), h.slice(h.indexOf('=') + 1)]),
);
const req = request({ method, host, port: Number(port), path, headers, agent: false }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () =>
    process.stdout.write(JSON.stringify({ status: res.statusCode, body: Buffer.concat(chunks).toString() })),
  );
});
req.setTimeout(10_000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
req.on('error', (err) => process.stdout.write(JSON.stringify({ error: err.code ?? err.message })));
req.end();
