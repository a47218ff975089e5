import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { runCli, startCliService } from '../helpers/cli.js';
import { echoOnce } from '../helpers/net.js';
import { missing, runTool } from '../helpers/peers.js';
import { scrape } from '../helpers/metrics.js';

const portOf = (url: string): number => Number(url.slice(url.lastIndexOf(':') + 1));

describe('--metrics (CLI)', () => {
  it('serve --workers 2: one endpoint that sums both workers, exact after known traffic; promtool accepts it', async () => {
    const s = await startCliService('serve', ['tcp://127.0.0.1:0', '--workers', '2', '--metrics', 'http://127.0.0.1:0/metrics', '--json']);
    try {
      const doc = JSON.parse(s.url) as { addresses: string[]; workers: number; metrics: string };
      assert.equal(doc.workers, 2);
      assert.match(doc.metrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const port = portOf(doc.addresses[0] ?? '');
      for (let i = 0; i < 20; i++) assert.equal((await echoOnce(port, Buffer.alloc(100, i))).length, 100);
      // Each worker counts a close when it sees the client's FIN: scrape until all 20 are in (at most 50 scrapes).
      let m = await scrape(doc.metrics);
      for (let tries = 0; tries < 50 && m.value('netecho_connections_closed_total{transport="tcp",reason="client-closed"}') !== 20; tries++) m = await scrape(doc.metrics);
      assert.equal(m.value('netecho_connections_accepted_total{transport="tcp"}'), 20);
      assert.equal(m.value('netecho_connections_closed_total{transport="tcp",reason="client-closed"}'), 20);
      assert.equal(m.value('netecho_received_bytes_total{transport="tcp"}'), 2000);
      assert.equal(m.value('netecho_sent_bytes_total{transport="tcp"}'), 2000);
      // Two workers' process metrics, summed: more resident memory than either alone would have.
      assert.ok((m.value('process_resident_memory_bytes') ?? 0) > 40 * 1024 * 1024);
      if (!missing('promtool')) {
        const r = await runTool('promtool', ['check', 'metrics'], m.text);
        assert.equal(r.code, 0, `${r.stdout.toString()}${r.stderr}`);
      }
    } finally {
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
    }
  });

  it('relay --metrics: the URL on stdout with --json and in the log; a port in use is one line and exit 71', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['relay', 'ws://127.0.0.1:0', '--metrics', `http://127.0.0.1:${taken}/metrics`]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [71, '', `netecho: cannot listen on http://127.0.0.1:${taken}/metrics: address already in use\n`]);
      const bad = await runCli(['relay', '--metrics', 'http://127.0.0.1/metrics']);
      assert.deepEqual([bad.code, bad.stderr], [2, 'netecho: invalid --metrics: "http://127.0.0.1/metrics" needs a port (e.g. http://127.0.0.1:9464/metrics)\n']);
    } finally {
      busy.close();
    }
    const s = await startCliService('relay', ['ws://127.0.0.1:0', '--metrics', 'http://127.0.0.1:0/metrics', '--json']);
    try {
      const doc = JSON.parse(s.url) as { metrics: string };
      await s.waitForStderr(new RegExp(`INFO {2}metrics on ${doc.metrics.replace(/[.]/g, '\\.')}`));
      assert.equal((await scrape(doc.metrics)).value('netecho_relay_broker_state{state="local"}'), 1);
    } finally {
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
    }
  });
});
