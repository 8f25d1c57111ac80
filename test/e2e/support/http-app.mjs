// The app of the server pod in the two-pod test: answers every request on each listed port
// with the port, the peer address and the path, as JSON. Prints "ready" when listening.
import { createServer } from 'node:http';

const ports = process.argv.slice(2).map(Number);
let listening = 0;
for (const port of ports) {
  createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ port, peer: req.socket.remoteAddress, path: req.url }));
  }).listen(port, '0.0.0.0', () => {
    listening += 1;
    if (listening === ports.length) process.stdout.write('ready\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
