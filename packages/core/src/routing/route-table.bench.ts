/** Route matching: 1,000 routes, indexed table vs a linear scan in precedence order. 1,000 requests per iteration. */
import type { Route, RouteMatch } from '@weft/api';
import { bench, describe } from 'vitest';
import { seededRandom } from '../random.js';
import { type RouteRequest, routeRequest } from './request-match.js';
import { compileEntries, matchLinear, RouteTable } from './route-table.js';

const BATCH = 1000;

function routes(n: number): Route[] {
  const out: Route[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const base: RouteMatch = { headers: [], queryParams: [] };
    let match: RouteMatch;
    if (kind < 4) match = { ...base, path: { type: 'prefix', value: `/svc${i}/api` } };
    else if (kind < 7) match = { ...base, path: { type: 'exact', value: `/svc${i}/health` } };
    else if (kind < 9)
      match = {
        ...base,
        path: { type: 'prefix', value: `/svc${i}` },
        method: 'POST',
        headers: [{ name: 'x-canary', type: 'exact', value: 'true' }],
      };
    else
      match = {
        ...base,
        path: { type: 'prefix', value: `/svc${i}` },
        queryParams: [{ name: 'v', type: 'exact', value: '2' }],
      };
    out.push({
      name: `r${i}`,
      matches: [match],
      backends: [{ service: `s${i}`, namespace: 'ns', port: 80, weight: 1 }],
    });
  }
  // A few regex routes, which every request that misses the exact map must try.
  for (let i = 0; i < 10; i++) {
    out.push({
      name: `re${i}`,
      matches: [{ path: { type: 'regex', value: `/re${i}/[a-z]+/[0-9]+` }, headers: [], queryParams: [] }],
      backends: [{ service: `re${i}`, namespace: 'ns', port: 80, weight: 1 }],
    });
  }
  out.push({
    name: 'default',
    matches: [],
    backends: [{ service: 'default', namespace: 'ns', port: 80, weight: 1 }],
  });
  return out;
}

function requests(n: number, routeCount: number): RouteRequest[] {
  const random = seededRandom(42);
  return Array.from({ length: n }, () => {
    const i = Math.floor(random.next() * routeCount);
    const r = random.next();
    if (r < 0.4) return routeRequest('GET', `/svc${i}/api/items/7?x=1`, { host: 'api' });
    if (r < 0.7) return routeRequest('GET', `/svc${i}/health`);
    if (r < 0.9) return routeRequest('POST', `/svc${i}/orders`, { 'x-canary': 'true' });
    return routeRequest('GET', '/not/routed/anywhere');
  });
}

for (const n of [10, 1000]) {
  const table = new RouteTable(routes(n));
  const entries = compileEntries(routes(n));
  const reqs = requests(BATCH, n);
  describe(`route matching, ${n} routes (x${BATCH} requests)`, () => {
    bench('RouteTable.match (indexed)', () => {
      for (const r of reqs) table.match(r);
    });
    bench('linear scan in precedence order', () => {
      for (const r of reqs) matchLinear(entries, r);
    });
  });
}
