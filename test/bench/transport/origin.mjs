// A minimal keep-alive HTTP/1.1 origin for the transport measurement: answers every request head
// with a fixed response of BODY_KB KiB (default 1). Prints "ready <port>".
import { createServer } from 'node:net';

const BODY = 'weft-bench-'.padEnd(1024 * Number(process.env.BODY_KB ?? 1), 'x');
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
const server = createServer({ noDelay: true }, (socket) => {
  let held = '';
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    held += chunk.toString('latin1');
    let end = held.indexOf('\r\n\r\n');
    while (end >= 0) {
      socket.write(RESPONSE);
      held = held.slice(end + 4);
      end = held.indexOf('\r\n\r\n');
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
