// The app in the interception test: on each listed port, reads a connection to its end and
// answers with the port, the peer and everything it received. Prints "ready" when listening.
import { createServer } from 'node:net';

const ports = process.argv.slice(2).map(Number);
let listening = 0;
for (const port of ports) {
  createServer({ allowHalfOpen: true }, (socket) => {
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () =>
      socket.end(
        JSON.stringify({ port, peer: socket.remoteAddress, data: Buffer.concat(chunks).toString() }),
      ),
    );
    socket.on('error', () => {});
  }).listen(port, '0.0.0.0', () => {
    listening += 1;
    if (listening === ports.length) process.stdout.write('ready\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
