/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { relay, serve, type EchoServer, type RelayServer } from '../../src/index.js';
import { launch, missingBrowser, open } from '../helpers/browser.js';
import { echoOnce } from '../helpers/net.js';
import { missing } from '../helpers/peers.js';
import { RedisServer } from '../helpers/redis.js';
import { WsClient } from '../helpers/relay.js';
import { until } from '../helpers/net.js';

const portOf = (url: string): number => Number(url.slice(url.lastIndexOf(':') + 1));

describe('the page at /.netecho/ (HTTP)', () => {
  let server: EchoServer;
  let base: string;
  before(async () => {
    server = await serve({ listen: 'http://127.0.0.1:0' });
    base = server.addresses[0] ?? '';
  });
  after(() => server.destroy());

  it('is served with a strict CSP from a fixed list of files; anything else under the prefix is a JSON 404', async () => {
    const page = await fetch(`${base}/.netecho/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self'; style-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await page.text(), /<script type="module" src="app.js"><\/script>/);
    assert.equal((await fetch(`${base}/.netecho/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    const redirect = await fetch(`${base}/.netecho`, { redirect: 'manual' });
    assert.deepEqual([redirect.status, redirect.headers.get('location')], [301, '/.netecho/']);
    for (const path of ['/.netecho/nope.js', '/.netecho/..%2fpackage.json', '/.netecho/ui/index.html']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 404, path);
      assert.match(await r.text(), /not found/);
    }
    assert.equal((await fetch(`${base}/.netecho/`, { method: 'POST', body: 'x' })).status, 405);
    // Every other path is still the reflection.
    assert.equal(((await (await fetch(`${base}/netecho/`)).json()) as { path: string }).path, '/netecho/');
  });

  it('the dashboard stream sends the server stats as JSON events; --no-ui (ui: false) leaves /.netecho/ to the reflection', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/.netecho/stats`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body?.getReader();
    let text = '';
    while (!text.includes('\n\n', text.indexOf('data: '))) text += new TextDecoder().decode((await reader?.read())?.value);
    const event = JSON.parse(text.slice(text.indexOf('data: ') + 6, text.indexOf('\n\n', text.indexOf('data: ')))) as { kind: string; stats: { accepted: number } };
    assert.equal(event.kind, 'echo');
    assert.ok(event.stats.accepted >= 1);
    controller.abort();
    const plain = await serve({ listen: 'http://127.0.0.1:0', ui: false });
    try {
      const r = await fetch(`${plain.addresses[0] ?? ''}/.netecho/`);
      assert.deepEqual([r.status, ((await r.json()) as { path: string }).path], [200, '/.netecho/']);
    } finally {
      await plain.destroy();
    }
  });
});

describe('the page in a real browser', { skip: missingBrowser() }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(() => browser.close());

  it('the tester: connect, send text and binary, see each echo with its size and round trip; peer text stays text', async () => {
    const server = await serve({ listen: ['http://127.0.0.1:0', 'tcp://127.0.0.1:0'] });
    try {
      const { page, problems } = await open(browser, `${server.addresses[0] ?? ''}/.netecho/`);
      await page.click('#tester-connect');
      await page.waitForSelector('#tester-send:not([disabled])');
      const xss = '<img src=x onerror="window.__xss=1">';
      await page.fill('#tester-message', xss);
      await page.click('#tester-send');
      await page.waitForFunction(() => document.querySelectorAll('#tester-log tr').length === 2);
      await page.selectOption('#tester-kind', 'hex');
      await page.fill('#tester-message', '00 ff 41');
      await page.press('#tester-message', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('#tester-log tr').length === 4);
      const rows = await page.$$eval('#tester-log tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      // Newest first: binary in, binary out, text in, text out.
      assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[4]]), [
        ['←', 'binary', '3', '00 ff 41'],
        ['→', 'binary', '3', '00 ff 41'],
        ['←', 'text', String(xss.length), xss],
        ['→', 'text', String(xss.length), xss],
      ]);
      assert.match(rows[0]?.[3] ?? '', /^\d+\.\d ms$/);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
      assert.equal(await page.locator('#tester-log img').count(), 0);
      await page.fill('#tester-message', 'zz');
      await page.click('#tester-send');
      assert.match((await page.textContent('#tester-error')) ?? '', /^not hex/);
      await page.click('#tester-close');
      await page.waitForFunction(() => document.getElementById('tester-state')?.textContent?.startsWith('closed'));
      assert.equal(await page.textContent('#tester-state'), 'closed: 1000 normal closure');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await server.destroy();
    }
  });

  it('the CSP blocks an inline script; the dashboard counters move after traffic', async () => {
    const server = await serve({ listen: ['http://127.0.0.1:0', 'tcp://127.0.0.1:0'] });
    try {
      const { page, problems } = await open(browser, `${server.addresses[0] ?? ''}/.netecho/#dashboard`);
      const blocked = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
            const s = document.createElement('script');
            s.textContent = 'window.__inline = 1';
            document.body.append(s);
          }),
      );
      assert.match(blocked, /^script-src/);
      assert.equal(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
      await page.waitForFunction(() => document.getElementById('dash-accepted')?.textContent !== '–');
      for (let i = 0; i < 5; i++) await echoOnce(portOf(server.addresses[1] ?? ''), Buffer.from('x'));
      const accepted = server.stats.accepted;
      await page.waitForFunction((n) => document.getElementById('dash-accepted')?.textContent === String(n), accepted, { timeout: 5000 });
      const tcp = await page.$$eval('#dash-transports tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)).find((r) => r[0] === 'tcp'));
      assert.deepEqual(tcp?.slice(0, 3), ['tcp', '0', '5']);
      assert.equal(await page.locator('#dash-chart polyline').count(), 1);
      // The CSP violation above is the only console error.
      assert.deepEqual(problems.filter((p) => !/Content Security Policy/.test(p)), []);
      await page.close();
    } finally {
      await server.destroy();
    }
  });

  async function chatPair(urlA: string, urlB: string): Promise<void> {
    const a = await open(browser, `${urlA}/.netecho/#chat`);
    const b = await open(browser, `${urlB}/.netecho/#chat`);
    for (const [p, name] of [[a.page, 'alice'], [b.page, 'bob']] as const) {
      await p.fill('#chat-room', 'lobby');
      await p.fill('#chat-name', name);
      await p.click('#chat-join');
      await p.waitForSelector('#chat-message:not([disabled])');
    }
    await a.page.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('bob joined'));
    await a.page.fill('#chat-message', 'hi <b>bob</b>');
    await a.page.press('#chat-message', 'Enter');
    await b.page.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('hi <b>bob</b>'));
    const line = await b.page.$$eval('#chat-log li:not(.notice)', (lis) => lis.map((li) => [li.querySelector('.from')?.textContent, li.textContent]));
    assert.deepEqual(line, [['alice', 'alicehi <b>bob</b>']]);
    assert.equal(await b.page.locator('#chat-log b').count(), 0);
    assert.match((await b.page.textContent('#chat-members')) ?? '', /alice/);
    assert.deepEqual([...a.problems, ...b.problems], []);
    await a.page.close();
    await b.page.close();
  }

  it('two pages chat through a relay: presence, messages as text', async () => {
    const r: RelayServer = await relay({ listen: 'http://127.0.0.1:0' });
    try {
      await chatPair(r.addresses[0] ?? '', r.addresses[0] ?? '');
    } finally {
      await r.destroy();
    }
  });

  it('the chat reconnects with ?since= after a close: what was kept arrives, and a gap notice says what was not', async () => {
    const r: RelayServer = await relay({ listen: 'http://127.0.0.1:0', history: 1, maxMessage: '1KiB' });
    try {
      const base = r.addresses[0] ?? '';
      const { page, problems } = await open(browser, `${base}/.netecho/#chat`);
      await page.fill('#chat-name', 'alice');
      await page.click('#chat-join');
      await page.waitForSelector('#chat-message:not([disabled])');
      const bob = await WsClient.open(`${base.replace('http', 'ws')}/lobby?name=bob`);
      await until(() => r.rooms.find((x) => x.room === 'lobby')?.members === 2);
      bob.ws.send('one');
      await page.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('one'));
      // Too big for the relay (1 KiB): it closes the page's connection with 1009; the page comes back from "one".
      await page.fill('#chat-message', 'x'.repeat(2000));
      await page.press('#chat-message', 'Enter');
      await page.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('reconnecting'));
      await until(() => r.rooms.find((x) => x.room === 'lobby')?.members === 1);
      bob.ws.send('two');
      bob.ws.send('three');
      await page.waitForFunction(() => document.getElementById('chat-log')?.textContent?.includes('three'), undefined, { timeout: 15_000 });
      const lines = await page.$$eval('#chat-log li', (lis) => lis.map((li) => [li.className, li.textContent ?? '']));
      assert.ok(lines.some(([, l]) => /^disconnected \(1009/.test(l ?? '')), lines.join('|'));
      assert.deepEqual(lines.filter(([c]) => c === ''), [['', 'bobone'], ['', 'bobthree']]);
      assert.deepEqual(lines.filter(([c]) => c === 'gap').map(([, l]) => l), ['1 message(s) could not be delivered (more than the 1 kept, or older than the history TTL)']);
      assert.deepEqual(problems, []);
      bob.close();
      await page.close();
    } finally {
      await r.destroy();
    }
  });

  it('two pages chat through two relay instances over Redis', { skip: missing('redis-server') }, async () => {
    const redis = await RedisServer.start();
    const [a, b] = [await relay({ listen: 'http://127.0.0.1:0', redis: redis.url }), await relay({ listen: 'http://127.0.0.1:0', redis: redis.url })];
    try {
      await chatPair(a.addresses[0] ?? '', b.addresses[0] ?? '');
    } finally {
      await a.destroy();
      await b.destroy();
      await redis.stop();
    }
  });
});
