// The client app in the interception test: connects to host:port knowing nothing of the mesh,
// sends a line, half-closes, and prints the answer.
import { connect } from 'node:net';

const [host, port] = process.argv.slice(2);
const socket = connect({ host, port: Number(port) }, () => socket.end('hello\n'));
const chunks = [];
socket.on('data', (c) => chunks.push(c));
socket.on('end', () => process.stdout.write(Buffer.concat(chunks).toString()));
socket.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
