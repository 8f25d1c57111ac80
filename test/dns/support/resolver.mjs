// A test resolver on HOST:53 (inside a network namespace) answering example.com with ADDRESS
// (default 93.184.216.34). Prints "ready".
import { startTestResolver } from '../../../packages/proxy/dist/dns/test-resolver.js';

const [host, address = '93.184.216.34'] = process.argv.slice(2);
const r = await startTestResolver(
  new Map([
    [
      'example.com',
      { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 60, data: address }] },
    ],
  ]),
  host,
  53,
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => r.close().then(() => process.exit(0)));
