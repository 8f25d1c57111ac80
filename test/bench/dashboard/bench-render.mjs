// npm run bench:dashboard-render [-- --proxies 1000 --runs 5]: the dashboard in headless chromium
// over a simulated mesh of N proxies (the control plane's feed over in-memory metrics, served by
// the real dashboard server): time from navigation start to the first page with data, per page.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DashboardFeed } from '../../../packages/control-plane/dist/index.js';
import { DashboardServer } from '../../../packages/dashboard/dist/index.js';
import { endpoints, exposition, streams } from './simulated-mesh.mjs';

const { values } = parseArgs({
  options: { proxies: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } },
});
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`no chromium at ${chromium}: nothing measured`);
  process.exit(0);
}
const eps = endpoints(Number(values.proxies));
const round = { value: 1, now: Date.now() };
const feed = new DashboardFeed({
  mode: 'local',
  proxies: () => eps,
  streams: () => streams(eps),
  gather: async (ps) => ({
    proxies: ps.map((p, i) => ({
      namespace: p.namespace,
      workload: p.workload,
      service: p.service,
      at: round.now,
      metrics: exposition(i, round.value),
    })),
  }),
  ownMetrics: async () => '',
  mesh: () => ({ version: 1, trustDomain: 'cluster.local', tracingEndpoint: '', services: [], rejected: [] }),
  now: () => round.now,
});
await feed.refresh();
round.value = 2;
round.now += 2000;
const snapshot = await feed.refresh();
feed.close();
const server = new DashboardServer({
  host: '127.0.0.1',
  port: 0,
  mode: 'local',
  upstream: { description: 'bench', get: async () => snapshot },
});
const port = await server.listen();
const { launch } = await import('puppeteer-core');
const browser = await launch({
  executablePath: chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
  ],
});
const pages = {
  graph: '#/graph',
  service: '#/service/shop/svc-1',
  proxies: '#/proxies',
  'control-plane': '#/control-plane',
};
for (const [name, hash] of Object.entries(pages)) {
  const times = [];
  for (let r = 0; r < Number(values.runs); r++) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    page.on('pageerror', (e) => console.log('page error', String(e)));
    page.on('console', (m) => m.type() === 'error' && console.log('console', m.text()));
    await page.goto(`http://127.0.0.1:${port}/${hash}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => performance.getEntriesByName('weft:data-rendered').length > 0, {
      timeout: 30_000,
    });
    times.push(await page.evaluate(() => performance.getEntriesByName('weft:data-rendered')[0].startTime));
    await page.close();
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name}: first render with data ${times[0].toFixed(0)} ms best, ${times[Math.floor(times.length / 2)].toFixed(0)} ms median (${values.proxies} proxies, ${times.length} runs)`,
  );
}
await browser.close();
await server.close();
