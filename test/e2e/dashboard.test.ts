/**
 * `weft dashboard` in a real headless browser (Debian's chromium through puppeteer-core) over the
 * running `weft up --demo` mesh: the graph shows loadgen → web → api-v1/api-v2 → store with
 * traffic, a split change in the config folder moves the measured split on the service page, a
 * rejected resource shows on the control-plane page with its reason; screenshots of every page go
 * to test/artifacts/; no console error, and no request leaves loopback.
 * Skips, saying why, where no chromium is installed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { demoManifests } from '@weft/cli/testing';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, type WatchedPage, watchedPage } from './support/dashboard-browser.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
const chromium = chromiumPath();
const why = 'no chromium (apt-get install chromium, or set CHROMIUM_PATH): the dashboard browser tests skip';
if (chromium === undefined) console.warn(why);

/** The demo's edges, as the graph's `data-edge` attributes name them. */
const CHAIN = [
  'demo/loadgen->demo/web',
  'demo/web->demo/api-v1',
  'demo/web->demo/api-v2',
  'demo/api-v1->demo/store',
  'demo/api-v2->demo/store',
];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(chromium === undefined)('weft dashboard in chromium over weft up --demo', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'weft-dash-'));
  const configDir = join(stateDir, 'config');
  let child: ChildProcess;
  let pids: number[] = [];
  let url: string;
  let browser: Browser;
  let w: WatchedPage;
  const stderr: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    mkdirSync(configDir);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(configDir, 'demo.yaml'), demoManifests());
    child = spawn(
      process.execPath,
      [
        bin,
        'up',
        '--demo',
        '--config-dir',
        configDir,
        '--state-dir',
        stateDir,
        '--rate',
        '50',
        '-o',
        'json',
        '--dashboard-listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`weft up exited (${code}): ${stderr.join('')}`))),
    );
    const dashboardUrl = new Promise<string>((resolve) => {
      child.stderr?.on('data', (c: Buffer) => {
        stderr.push(c.toString());
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr.join(''));
        if (m?.[1] !== undefined) resolve(m[1]);
      });
    });
    // Ready once the load generator's responses show in a stats line (the mesh carries traffic).
    const serving = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as { event: string; pids?: number[]; load?: { ok: number } };
        if (msg.event === 'stats') {
          pids = msg.pids ?? pids;
          if ((msg.load?.ok ?? 0) > 0) resolve();
        }
      });
    });
    url = await Promise.race([dashboardUrl, exited]);
    await Promise.race([serving, exited]);
    browser = await launchChromium(chromium as string);
    w = await watchedPage(browser);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 8000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve(undefined);
        });
      });
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    writeFileSync(join(artifacts, 'dashboard-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  }, 30_000);

  it('shows loadgen → web → api-v1/api-v2 → store with non-zero rates within 10 s', async () => {
    const started = performance.now();
    await w.page.goto(`${url}#/graph`, { waitUntil: 'domcontentloaded' });
    await w.page.waitForSelector('header h1', { timeout: 10_000 });
    timings.firstShellRenderMs = performance.now() - started;
    await w.page.waitForSelector('[data-node="demo/web"]', { timeout: 10_000 });
    timings.firstGraphRenderMs = performance.now() - started;
    await w.page.waitForFunction(
      (chain: string[]) =>
        chain.every(
          (e) => Number(document.querySelector(`[data-edge="${e}"]`)?.getAttribute('data-rps') ?? 0) > 0,
        ),
      { timeout: 10_000, polling: 200 },
      CHAIN,
    );
    timings.graphWithRatesMs = performance.now() - started;
    const edges = await w.page.$$eval('[data-edge]', (els) =>
      els.map((e) => ({ edge: e.getAttribute('data-edge'), mtls: e.classList.contains('mtls') })),
    );
    for (const e of CHAIN) expect(edges).toContainEqual({ edge: e, mtls: true });
    await w.page.screenshot({ path: join(artifacts, 'dashboard-graph.png'), fullPage: true });
  }, 60_000);

  it('opens a service from the graph with the keyboard (Tab to a node, Enter)', async () => {
    await w.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let focused: string | null | undefined;
    for (let i = 0; i < 40 && !(focused ?? '').startsWith('demo/'); i++) {
      await w.page.keyboard.press('Tab');
      focused = await w.page.evaluate(() => document.activeElement?.getAttribute('data-node'));
    }
    expect(focused).toMatch(/^demo\//);
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => location.hash.startsWith('#/service/demo/'), { timeout: 5000 });
  }, 30_000);

  it('moves the measured split on the service page when the split in the config folder changes', async () => {
    await w.page.goto(`${url}#/service/demo/api`, { waitUntil: 'domcontentloaded' });
    const measured = (backend: string) =>
      w.page.waitForFunction(
        (b: string) => {
          const v = document.querySelector(`[data-backend="${b}"]`)?.getAttribute('data-measured');
          return v !== null && v !== undefined && v !== '' ? Number(v) : false;
        },
        { timeout: 20_000, polling: 200 },
        backend,
      );
    // 90/10: with ~100 requests per 2 s interval, v2 above half would be > 8 standard deviations off.
    const before = Number(await (await measured('api-v2.demo:80')).jsonValue());
    expect(before).toBeLessThan(0.5);
    await w.page.screenshot({ path: join(artifacts, 'dashboard-service.png'), fullPage: true });
    writeFileSync(
      join(configDir, 'demo.yaml'),
      demoManifests()
        .replace('weight: 90}', 'weight: 10}')
        .replace('{service: api-v2, weight: 10}', '{service: api-v2, weight: 90}'),
    );
    await w.page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('table.split tr')].map((r) => r.textContent ?? '');
        const v = document.querySelector('[data-backend="api-v2.demo:80"]')?.getAttribute('data-measured');
        return rows.some((r) => r.includes('api-v2.demo:80') && r.includes('90%')) && Number(v) > 0.5;
      },
      { timeout: 30_000, polling: 250 },
    );
    await w.page.screenshot({ path: join(artifacts, 'dashboard-service-after-split.png'), fullPage: true });
  }, 90_000);

  it('shows a rejected resource on the control-plane page with its file:line and reason', async () => {
    writeFileSync(
      join(configDir, 'bad.yaml'),
      `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: bad, namespace: demo}
spec:
  targetRef: {kind: Service, name: web}
  retry:
    on: [5xx, teapot]
`,
    );
    await w.page.goto(`${url}#/control-plane`, { waitUntil: 'domcontentloaded' });
    await w.page.waitForFunction(
      () =>
        [...document.querySelectorAll('table.rejected tbody tr')].some(
          (r) =>
            /bad\.yaml:7/.test(r.textContent ?? '') && /unknown retry condition/.test(r.textContent ?? ''),
        ),
      { timeout: 30_000, polling: 250 },
    );
    const text = await w.page.$eval('dl.stats', (e) => e.textContent ?? '');
    expect(text).toMatch(/Trust anchor expires\s*in \d+ d/);
    // Six proxies and the ingress gateway.
    expect(text).toMatch(/Streams \(connected proxies\)\s*7/);
    await w.page.screenshot({ path: join(artifacts, 'dashboard-control-plane.png'), fullPage: true });
  }, 60_000);

  it('marks authorization denials on the edge they happen on', async () => {
    writeFileSync(
      join(configDir, 'deny.yaml'),
      `apiVersion: weft.dev/v1alpha1
kind: AuthorizationPolicy
metadata: {name: no-web, namespace: demo}
spec:
  targetRef: {kind: Service, name: api-v2}
  action: Deny
  from:
  - identities: ["spiffe://cluster.local/ns/demo/sa/web"]
`,
    );
    await w.page.goto(`${url}#/graph`, { waitUntil: 'domcontentloaded' });
    await w.page.waitForSelector('[data-edge="demo/web->demo/api-v2"].denied', { timeout: 30_000 });
    // The other edges carry no denial.
    expect(
      await w.page.$$eval('[data-edge].denied', (els) => els.map((e) => e.getAttribute('data-edge'))),
    ).toEqual(['demo/web->demo/api-v2']);
    await w.page.screenshot({ path: join(artifacts, 'dashboard-graph-denied.png'), fullPage: true });
  }, 60_000);

  it('lists every proxy with identity, certificate expiry and ACKed config, and shows a config', async () => {
    await w.page.goto(`${url}#/proxies`, { waitUntil: 'domcontentloaded' });
    await w.page.waitForSelector('table.proxies tbody tr', { timeout: 10_000 });
    const rows = await w.page.$$eval('table.proxies tbody tr', (trs) => trs.map((r) => r.textContent ?? ''));
    // Six proxies of the demo and the ingress gateway, which has its own identity.
    expect(rows).toHaveLength(7);
    expect(
      rows.filter((r) => r.includes('spiffe://cluster.local/ns/weft-system/sa/weft-gateway')),
    ).toHaveLength(1);
    for (const r of rows) {
      expect(r).toMatch(/spiffe:\/\/cluster\.local\/ns\/(demo|weft-system)\/sa\//);
      expect(r).toMatch(/in \d+ h/);
      expect(r).toContain('ACK');
    }
    await w.page.click('button[data-config]');
    await w.page.waitForSelector('.config pre', { timeout: 10_000 });
    const config = await w.page.$eval('.config pre', (e) => e.textContent ?? '');
    expect(config).toContain('"destinations"');
    expect(config).not.toMatch(/PRIVATE KEY|registration_token|registrationToken/);
    // The dark theme renders too.
    await w.page.click('button.theme');
    expect(await w.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await w.page.screenshot({ path: join(artifacts, 'dashboard-proxies-dark.png'), fullPage: true });
  }, 60_000);

  it('logged no console error and made no request off loopback', () => {
    expect(w.errors).toEqual([]);
    expect(w.offLoopback).toEqual([]);
  });
});
