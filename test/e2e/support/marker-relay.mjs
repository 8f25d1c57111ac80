// A stand-in for the proxy in the interception test: accepts on a port, writes a marker line
// into the client-to-server direction, and relays to a fixed target. Prints "ready" when listening.
import { connect, createServer } from 'node:net';

const [listenPort, marker, target] = process.argv.slice(2);
const [host, port] = target.split(':');
const server = createServer({ allowHalfOpen: true }, (client) => {
  const upstream = connect({ host, port: Number(port), allowHalfOpen: true });
  upstream.write(`${marker} uid=${process.getuid()}\n`);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(Number(listenPort), '0.0.0.0', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
