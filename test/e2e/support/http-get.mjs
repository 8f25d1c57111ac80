// An app that knows nothing of the mesh: GET http://HOST:PORT/PATH, print {status, body}.
import { request } from 'node:http';

const [host, port, path] = process.argv.slice(2);
const req = request({ host, port: Number(port), path, agent: false }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () =>
    process.stdout.write(JSON.stringify({ status: res.statusCode, body: Buffer.concat(chunks).toString() })),
  );
});
req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
req.end();
