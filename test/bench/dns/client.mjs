// The benchmark's load: one UDP socket sending one pre-encoded query to 127.0.0.1:PORT, either as
// fast as `window` queries in flight allow (throughput) or at a fixed rate (latency). Prints one
// JSON line: { sent, answered, seconds, qps, p50, p99 } (latencies in ms).
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';

const [port, name, mode, arg, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText);
const query = packet.encode({
  type: 'query',
  id: 0,
  flags: packet.RECURSION_DESIRED,
  questions: [{ name, type: 'A' }],
});
const socket = createSocket('udp4');
const sentAt = new Float64Array(65536);
const latencies = [];
let sent = 0;
let answered = 0;
let nextId = 0;
let inFlight = 0;
let done = false;
const start = performance.now();
const end = start + seconds * 1000;

function send() {
  const id = nextId;
  nextId = (nextId + 1) & 0xffff;
  const q = Buffer.from(query);
  q.writeUInt16BE(id, 0);
  sentAt[id] = performance.now();
  sent++;
  inFlight++;
  socket.send(q, Number(port), '127.0.0.1');
}

socket.on('message', (msg) => {
  const now = performance.now();
  const id = msg.readUInt16BE(0);
  inFlight--;
  answered++;
  latencies.push(now - sentAt[id]);
  if (mode === 'throughput' && !done && now < end) send();
});

function finish() {
  done = true;
  const took = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  process.stdout.write(
    `${JSON.stringify({ sent, answered, seconds: took, qps: answered / took, p50: q(0.5), p99: q(0.99) })}\n`,
  );
  socket.close();
}

socket.bind(0, '127.0.0.1', () => {
  if (mode === 'throughput') {
    for (let i = 0; i < Number(arg); i++) send();
    // Lost datagrams would shrink the window: top it up every 10 ms.
    const refill = setInterval(() => {
      if (performance.now() >= end) {
        clearInterval(refill);
        setTimeout(finish, 200);
        return;
      }
      while (inFlight < Number(arg)) send();
    }, 10);
    return;
  }
  // Fixed rate: send what the schedule says is due, checking every tick.
  const rate = Number(arg);
  const tick = () => {
    const now = performance.now();
    if (now >= end) {
      setTimeout(finish, 200);
      return;
    }
    const due = Math.floor(((now - start) / 1000) * rate);
    while (sent < due) send();
    setImmediate(tick);
  };
  tick();
});
