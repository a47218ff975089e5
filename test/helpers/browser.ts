/**
 * A real browser for the page's tests: Debian's chromium, driven by playwright-core (no browser download). Each
 * page records its console errors, uncaught errors and CSP violations, so a test can say there were none.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { have } from './peers.js';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => have(p)) ?? null;

export function missingBrowser(): string | false {
  return CHROMIUM === null ? 'needs chromium (apt-get install chromium)' : false;
}

export async function launch(): Promise<Browser> {
  // Root (as in CI containers) cannot use Chromium's sandbox; nor can a container without user namespaces.
  const executablePath = CHROMIUM ?? undefined;
  if (process.getuid?.() === 0) return chromium.launch({ executablePath, args: ['--no-sandbox'] });
  return chromium.launch({ executablePath }).catch(() => chromium.launch({ executablePath, args: ['--no-sandbox'] }));
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

export async function open(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  return { page, problems };
}
