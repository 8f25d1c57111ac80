/**
 * For the dashboard's browser tests: Debian's chromium driven by puppeteer-core (which downloads
 * nothing), with every request the page makes checked to stay on loopback, and console errors
 * collected. `chromiumPath()` says why the tests skip when no chromium is installed.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';

/** The chromium binary: CHROMIUM_PATH, else Debian's. */
export function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p !== undefined && p !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/** True for URLs whose host is this machine (or that need no network: data:, about:). */
export function staysLocal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'about:' || u.protocol === 'blob:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** A page whose requests are intercepted: any that would leave loopback is aborted and recorded. */
export interface WatchedPage {
  readonly page: Page;
  /** URLs the page tried to reach off loopback (aborted). */
  readonly offLoopback: string[];
  /** Console errors and uncaught exceptions. */
  readonly errors: string[];
}

/** Launches headless chromium with its own background traffic (updates, sync, metrics) off. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { launch } = await import('puppeteer-core');
  return launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-domain-reliability',
      '--disable-sync',
      '--disable-default-apps',
      '--metrics-recording-only',
      '--password-store=basic',
    ],
  });
}

export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const offLoopback: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (staysLocal(req.url())) {
      void req.continue();
    } else {
      offLoopback.push(req.url());
      void req.abort('blockedbyclient');
    }
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page: ${String(err)}`));
  return { page, offLoopback, errors };
}
