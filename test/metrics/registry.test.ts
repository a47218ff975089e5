import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { relay, serve, serveMetrics, type EchoServer, type MetricsEndpoint } from '../../src/index.js';
import { connect, connectOutcome, echoOnce, readBytes, until } from '../helpers/net.js';
import { missing, runTool } from '../helpers/peers.js';
import { WsClient } from '../helpers/relay.js';
import { scrape } from '../helpers/metrics.js';

const portOf = (url: string): number => Number(url.slice(url.lastIndexOf(':') + 1).split('/')[0]);

async function datagrams(port: number, n: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  let got = 0;
  const all = new Promise<void>((resolve) => s.on('message', () => ++got === n && resolve()));
  for (let i = 0; i < n; i++) s.send(Buffer.alloc(100, i), port, '127.0.0.1');
  await all;
  s.close();
}

describe('metrics', () => {
  it('after known traffic the scraped values are exactly what was sent and refused, and equal server.stats', async () => {
    const server: EchoServer = await serve({ listen: ['tcp://127.0.0.1:0', 'udp://127.0.0.1:0', 'http://127.0.0.1:0'], maxConnections: 2 });
    let metrics: MetricsEndpoint | null = null;
    try {
      metrics = await serveMetrics(server, { listen: 'http://127.0.0.1:0/metrics' });
      const [tcp = '', udp = '', http = ''] = server.addresses;
      for (const size of [10, 200, 3000]) assert.equal((await echoOnce(portOf(tcp), Buffer.alloc(size, 1))).length, size);
      await datagrams(portOf(udp), 5);
      // Two held, a third refused (max-connections 2).
      const held = [await connect(portOf(tcp)), await connect(portOf(tcp))];
      await until(() => server.connections === 2);
      assert.equal(await connectOutcome(portOf(tcp)), 'ECONNRESET');
      await until(() => server.stats.refused['max-connections'] === 1);
      for (const s of held) s.destroy();
      await until(() => server.connections === 0);
      assert.equal((await fetch(`${http}/a`, { method: 'POST', body: 'hi' })).status, 200);
      assert.equal((await fetch(`${http}/b?status=404`)).status, 404);
      const m = await scrape(metrics.url);
      assert.equal(m.value('netecho_connections_accepted_total{transport="tcp"}'), 5);
      assert.equal(m.value('netecho_connections_refused_total{transport="tcp",reason="max-connections"}'), 1);
      assert.equal(m.value('netecho_connections_open{transport="tcp"}'), 0);
      assert.equal(m.value('netecho_connections_closed_total{transport="tcp",reason="client-closed"}'), 5);
      assert.equal(m.value('netecho_received_bytes_total{transport="tcp"}'), 3210);
      assert.equal(m.value('netecho_sent_bytes_total{transport="tcp"}'), 3210);
      assert.equal(m.value('netecho_udp_datagrams_received_total'), 5);
      assert.equal(m.value('netecho_udp_datagrams_echoed_total'), 5);
      assert.equal(m.value('netecho_udp_echoed_bytes_total'), 500);
      assert.equal(m.value('netecho_udp_datagrams_dropped_total{reason="rate-limited"}'), 0);
      assert.equal(m.value('netecho_http_replies_total{status="200"}'), 1);
      assert.equal(m.value('netecho_http_replies_total{status="404"}'), 1);
      assert.ok((m.value('process_cpu_seconds_total') ?? 0) > 0);
      assert.ok(m.value('nodejs_eventloop_lag_seconds') !== undefined);
      // The same numbers as server.stats: one bookkeeping.
      const t = server.stats.transports.tcp;
      assert.deepEqual([t?.accepted, t?.open, t?.bytesIn, server.stats.datagrams.echoed, server.stats.http.replies['404']], [5, 0, 3210, 5, 1]);
    } finally {
      await metrics?.close();
      await server.destroy();
    }
  });

  it('bytes count the open connections so far, not only the closed ones', async () => {
    const server = await serve({ listen: 'tcp://127.0.0.1:0' });
    const metrics = await serveMetrics(server, { listen: 'http://127.0.0.1:0/metrics', defaultMetrics: false });
    try {
      const s = await connect(portOf(server.addresses[0] ?? ''));
      const echoed = readBytes(s, 1000);
      s.write(Buffer.alloc(1000, 7));
      await echoed;
      const m = await scrape(metrics.url);
      assert.deepEqual([m.value('netecho_received_bytes_total{transport="tcp"}'), m.value('netecho_sent_bytes_total{transport="tcp"}'), m.value('netecho_connections_open{transport="tcp"}')], [1000, 1000, 1]);
      s.destroy();
    } finally {
      await metrics.close();
      await server.destroy();
    }
  });

  it('WebSocket messages and close codes', async () => {
    const server = await serve({ listen: 'ws://127.0.0.1:0', websocket: { maxMessage: '1KiB' } });
    const metrics = await serveMetrics(server, { listen: 'http://127.0.0.1:0/metrics', defaultMetrics: false });
    try {
      const url = server.addresses[0] ?? '';
      const a = await WsClient.open(url);
      a.ws.send('one');
      a.ws.send(Buffer.from([1, 2]));
      await a.count(2);
      a.ws.send(Buffer.alloc(2000));
      const b = await WsClient.open(url);
      b.ws.close(1000);
      await until(() => server.stats.websocket.closes['1009'] === 1 && server.stats.websocket.closes['1000'] === 1);
      const m = await scrape(metrics.url);
      assert.equal(m.value('netecho_websocket_messages_received_total'), 2);
      assert.equal(m.value('netecho_websocket_closes_total{code="1009"}'), 1);
      assert.equal(m.value('netecho_websocket_closes_total{code="1000"}'), 1);
    } finally {
      await metrics.close();
      await server.destroy();
    }
  });

  it('the exposition passes promtool check metrics (serve and relay)', { skip: missing('promtool') }, async () => {
    const echo = await serve({ listen: ['tcp://127.0.0.1:0', 'udp://127.0.0.1:0', 'http://127.0.0.1:0'] });
    const rooms = await relay({ listen: 'ws://127.0.0.1:0' });
    const endpoints = [await serveMetrics(echo, { listen: 'http://127.0.0.1:0/metrics' }), await serveMetrics(rooms, { listen: 'http://127.0.0.1:0/m' })];
    try {
      await echoOnce(portOf(echo.addresses[0] ?? ''), Buffer.from('x'));
      for (const e of endpoints) {
        const { text } = await scrape(e.url);
        const r = await runTool('promtool', ['check', 'metrics'], text);
        assert.equal(r.code, 0, `${r.stdout.toString()}${r.stderr}`);
      }
    } finally {
      for (const e of endpoints) await e.close();
      await echo.destroy();
      await rooms.destroy();
    }
  });

  it('a relay: rooms, members, messages, deliveries and refusals by reason', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', rate: 100_000 });
    const metrics = await serveMetrics(r, { listen: 'http://127.0.0.1:0/metrics', defaultMetrics: false });
    try {
      const url = `${r.addresses[0] ?? ''}/room`;
      const [a, b, c] = [await WsClient.open(url), await WsClient.open(url), await WsClient.open(url)];
      await until(() => r.rooms.find((x) => x.room === 'room')?.members === 3);
      for (const text of ['one', 'two', 'three']) a?.ws.send(text);
      for (const x of [b, c]) await x?.count(3);
      const refused = await WsClient.refusal(`${r.addresses[0] ?? ''}/bad%20room`);
      assert.equal(refused.status, 400);
      const m = await scrape(metrics.url);
      assert.equal(m.value('netecho_relay_rooms'), 1);
      assert.equal(m.value('netecho_relay_members'), 3);
      assert.equal(m.value('netecho_relay_messages_received_total'), 3);
      assert.equal(m.value('netecho_relay_messages_published_total'), 3);
      assert.equal(m.value('netecho_relay_deliveries_total'), 6);
      assert.equal(m.value('netecho_websocket_messages_received_total'), 3);
      assert.equal(m.value('netecho_relay_denied_total{reason="invalid-room"}'), 1);
      assert.equal(m.value('netecho_relay_broker_state{state="local"}'), 1);
      assert.equal(m.value('netecho_connections_open{transport="ws"}'), 3);
      assert.equal(m.value('process_cpu_seconds_total'), undefined);
      for (const x of [a, b, c]) x?.close();
    } finally {
      await metrics.close();
      await r.destroy();
    }
  });

  it('the endpoint: 404 elsewhere, 405 for POST; a bad URL is refused naming the option; a port in use is an error', async () => {
    const server = await serve({ listen: 'tcp://127.0.0.1:0' });
    const metrics = await serveMetrics(server, { listen: 'http://127.0.0.1:0/metrics', defaultMetrics: false });
    try {
      const base = metrics.url.replace(/\/metrics$/, '');
      assert.equal((await fetch(`${base}/other`)).status, 404);
      assert.equal((await fetch(metrics.url, { method: 'POST' })).status, 405);
      await assert.rejects(serveMetrics(server, { listen: 'https://127.0.0.1:0/metrics' }), { code: 'ERR_NETECHO_INVALID_ARGUMENT', option: 'metrics' });
      await assert.rejects(serveMetrics(server, { listen: metrics.url }), { code: 'ERR_NETECHO_ADDRESS_IN_USE' });
    } finally {
      await metrics.close();
      await server.destroy();
    }
  });
});
