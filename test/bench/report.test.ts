/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { bench, benchReport, serve, type BenchResult, type EchoServer } from '../../src/index.js';
import { launch, missingBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';

describe('bench reports', () => {
  let server: EchoServer;
  let results: BenchResult[];
  let dir: string;
  before(async () => {
    server = await serve({ listen: 'tcp://127.0.0.1:0' });
    const url = server.addresses[0] ?? '';
    results = [await bench(url, { connections: 2, duration: '1s', warmup: '500ms', size: 64 }), await bench(url, { connections: 4, duration: '1s', warmup: '500ms', size: 1024, rate: 500 })];
    dir = mkdtempSync(join(tmpdir(), 'netecho-report-'));
  });
  after(async () => {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('results carry a timeline and an HDR-style percentile curve', () => {
    for (const r of results) {
      assert.ok(r.timeline.length >= 1, 'a point a second');
      assert.ok(r.timeline.every((p, i, all) => i === 0 || p.t > (all[i - 1]?.t ?? 0)));
      const curve = r.latencyCurve ?? [];
      assert.deepEqual(curve.map((p) => p.percentile), [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.975, 99.99, 99.995, 99.999, 100]);
      assert.ok(curve.every((p, i) => i === 0 || p.us >= (curve[i - 1]?.us ?? 0)), 'non-decreasing');
      assert.equal(curve.find((p) => p.percentile === 50)?.us, r.latencyUs?.p50);
      assert.equal(curve.at(-1)?.us, r.latencyUs?.max);
    }
  });

  it('one self-contained file: no script, nothing fetched, names escaped', () => {
    const html = benchReport(results, { names: ['<b>first</b>', 'second'], title: 'a & b' });
    assert.ok(!/<script/i.test(html));
    assert.ok(!/(src|href)=/i.test(html), 'nothing fetched');
    assert.match(html, /<title>a &#38; b<\/title>/);
    assert.match(html, /&#60;b&#62;first&#60;\/b&#62;/);
    assert.match(html, /content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/);
  });

  describe('in Chromium', { skip: missingBrowser() }, () => {
    let browser: Browser;
    before(async () => {
      browser = await launch();
    });
    after(() => browser.close());

    it('opens without errors, its numbers equal the JSON, and it draws both runs', async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.setContent(benchReport(results, { names: ['first', 'second'] }));
      const cells = await page.$$eval('#results td[data-field]', (tds) => tds.map((td) => [td.getAttribute('data-field'), td.getAttribute('data-value')]));
      const get = (r: BenchResult, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], r);
      const fields = [...new Set(cells.map(([f]) => f ?? ''))];
      assert.ok(fields.includes('roundTrips') && fields.includes('latencyUs.p99') && fields.includes('errors.total'));
      for (const [i, r] of results.entries()) {
        for (const field of fields) {
          const value = cells.filter(([f]) => f === field)[i]?.[1];
          const expected = get(r, field);
          if (field === 'rate' && expected === 0) continue;
          assert.equal(value, String(expected), `${field} of run ${i}`);
        }
      }
      assert.equal(await page.locator('#latency polyline').count(), 2);
      assert.equal(await page.locator('#rate polyline').count(), 2);
      assert.deepEqual(problems, []);
      await page.close();
    });
  });

  it('CLI: bench --report with --compare, and netecho report from --json files; bad files are one line, exit 2', async () => {
    const url = server.addresses[0] ?? '';
    const first = join(dir, 'first.json');
    const a = await runCli(['bench', url, '-c', '2', '-d', '1s', '--warmup', '200ms', '--json']);
    assert.equal(a.code, 0, a.stderr);
    writeFileSync(first, a.stdout);
    const report = join(dir, 'r.html');
    const b = await runCli(['bench', url, '-c', '2', '-d', '1s', '--warmup', '200ms', '--report', report, '--compare', first]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stderr, `netecho: report written to ${report}\n`);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<th>this run<\/th><th>first\.json<\/th>/);
    const out = join(dir, 'out.html');
    const c = await runCli(['report', first, '-o', out, '--title', 'one run']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(existsSync(out));
    assert.match(readFileSync(out, 'utf8'), new RegExp(`data-field="roundTrips" data-value="${(JSON.parse(a.stdout) as BenchResult).roundTrips}"`));
    const missingFile = await runCli(['report', join(dir, 'none.json')]);
    assert.deepEqual([missingFile.code, missingFile.stderr], [2, `netecho: cannot read result "${join(dir, 'none.json')}": no such file or directory\n`]);
    writeFileSync(join(dir, 'bad.json'), '{"hello":1}');
    const bad = await runCli(['report', join(dir, 'bad.json')]);
    assert.deepEqual([bad.code, bad.stderr], [2, `netecho: result "${join(dir, 'bad.json')}" is not a netecho bench --json result\n`]);
    const lonely = await runCli(['bench', url, '--compare', first]);
    assert.deepEqual([lonely.code, lonely.stderr], [2, 'netecho: --compare needs --report FILE\n']);
  });
});
