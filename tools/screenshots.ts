/// <reference lib="dom" />
/**
 * Screenshots of the page at /.netecho/ for the README (docs/page-*.png): the tester after a few echoes, two people
 * chatting through a relay, and a relay's dashboard under a little traffic; and the chat at phone width.
 * Run: npm run screenshots   (needs chromium; loopback only)
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { benchRelay, relay, serve } from '../src/index.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
const echo = await serve({ listen: 'http://127.0.0.1:0' });
const rooms = await relay({ listen: 'http://127.0.0.1:0', history: 100 });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(`${echo.addresses[0] ?? ''}/.netecho/#tester`);
  await page.click('#tester-connect');
  await page.waitForSelector('#tester-send:not([disabled])');
  await page.click('#tester-send');
  await page.selectOption('#tester-kind', 'hex');
  await page.fill('#tester-message', '48 69 00 ff');
  await page.click('#tester-send');
  await page.waitForFunction(() => document.querySelectorAll('#tester-log tr').length === 4);
  await page.screenshot({ path: `${DOCS}page-tester.png` });

  const base = rooms.addresses[0] ?? '';
  const alice = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const bob = await browser.newPage({ viewport: { width: 390, height: 700 } });
  for (const [p, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
    await p.goto(`${base}/.netecho/#chat`);
    await p.fill('#chat-name', name);
    await p.click('#chat-join');
    await p.waitForSelector('#chat-message:not([disabled])');
  }
  for (const [p, text] of [[alice, 'hello bob'], [bob, 'hi alice: <b>this stays text</b>'], [alice, 'see you in the dashboard']] as const) {
    await p.fill('#chat-message', text);
    await p.press('#chat-message', 'Enter');
  }
  await alice.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('this stays text'));
  await bob.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('see you'));
  await alice.screenshot({ path: `${DOCS}page-chat.png` });
  await bob.screenshot({ path: `${DOCS}page-chat-phone.png` });

  const dash = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await dash.goto(`${base}/.netecho/#dashboard`);
  await benchRelay(base.replace('http', 'ws'), { rooms: 5, publishers: 1, subscribers: 20, rate: 50, duration: '6s', warmup: '0s' });
  await dash.screenshot({ path: `${DOCS}page-dashboard.png`, fullPage: true });
  console.log(`wrote ${DOCS}page-tester.png, page-chat.png, page-chat-phone.png, page-dashboard.png`);
} finally {
  await browser.close();
  await echo.destroy();
  await rooms.destroy();
}
