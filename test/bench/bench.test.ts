import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bench } from '../../src/bench/bench.js';
import { serve } from '../../src/index.js';
import { split } from '../../src/bench/workers.js';
import { rawServer, startServer, type TestServer } from '../helpers/net.js';
import { runCli } from '../helpers/cli.js';

const quick = { duration: '400ms', warmup: '100ms' } as const;

describe('bench()', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.server.destroy());

  it('closed loop: counts add up and every round trip is in the histogram', async () => {
    const r = await bench(t.url, { ...quick, connections: 4, size: 100 });
    assert.equal(r.mode, 'closed');
    assert.equal(r.connected, 4);
    assert.ok(r.roundTrips > 0);
    assert.equal(r.latencyUs?.count, r.roundTrips);
    // Each connection has at most one message in flight at each edge of the window.
    assert.ok(r.bytesReceived >= (r.roundTrips - 8) * 100 && r.bytesReceived <= (r.roundTrips + 8) * 100, JSON.stringify(r));
    assert.ok(Math.abs(r.bytesSent - r.bytesReceived) <= 8 * 100);
    assert.equal(r.errors.total, 0);
    const l = r.latencyUs!;
    assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
  });

  it('pipeline, stream and worker modes run clean', async () => {
    const p = await bench(t.url, { ...quick, connections: 2, pipeline: 8, size: 512 });
    assert.deepEqual([p.mode, p.pipeline, p.errors.total], ['pipeline', 8, 0]);
    assert.ok(p.roundTrips > 0);
    const s = await bench(t.url, { ...quick, connections: 2, stream: true, size: '16KiB' });
    assert.deepEqual([s.mode, s.errors.total, s.latencyUs], ['stream', 0, null]);
    assert.ok(s.bandwidthBytesPerSec > 0 && s.bytesReceived > 0);
    const w = await bench(t.url, { ...quick, connections: 4, workers: 2, size: 64 });
    assert.deepEqual([w.workers, w.connected, w.errors.total], [2, 4, 0]);
    assert.equal(w.latencyUs?.count, w.roundTrips);
  });

  it('reports the live rate during the warm-up too (onTick)', async () => {
    const ticks: Array<{ phase: string; ratePerSec: number; bytesPerSec: number }> = [];
    await bench(t.url, { connections: 2, size: 64, warmup: '1200ms', duration: '200ms' }, { onTick: (i) => ticks.push(i) });
    const warm = ticks.filter((i) => i.phase === 'warmup');
    assert.ok(warm.length >= 1, 'a tick during the warm-up');
    assert.ok(warm.every((i) => i.ratePerSec > 0 && i.bytesPerSec > 0), JSON.stringify(warm));
  });

  it('fixed rate: sends at the rate asked', async () => {
    const r = await bench(t.url, { duration: '1s', warmup: 0, connections: 5, rate: 500, size: 64 });
    assert.equal(r.mode, 'rate');
    assert.ok(r.roundTrips >= 450 && r.roundTrips <= 505, `${r.roundTrips} round trips`);
  });

  it('catches a corrupting server: mismatches counted', async () => {
    let n = 0;
    const corrupt = await rawServer((s) =>
      s.on('data', (c: Buffer) => {
        if (++n % 50 === 0) c[0] = (c[0]! + 1) & 0xff;
        s.write(c);
      }),
    );
    try {
      const r = await bench(corrupt.url, { ...quick, connections: 3, size: 64 });
      assert.ok(r.errors.mismatches > 0);
      assert.equal(r.errors.total, r.errors.mismatches);
    } finally {
      await corrupt.close();
    }
  });

  it('a server that stalls shows in the fixed-rate percentiles (coordinated omission corrected)', async () => {
    // Echoes at once, except that it stops everything for 300 ms in the middle of the run.
    let stalledUntil = 0;
    let started = 0;
    const held: Array<[net.Socket, Buffer]> = [];
    const stall = await rawServer((s) =>
      s.on('data', (c: Buffer) => {
        const now = Date.now();
        started ||= now;
        if (stalledUntil === 0 && now - started > 300) {
          stalledUntil = now + 300;
          setTimeout(() => {
            for (const [sock, buf] of held.splice(0)) sock.write(buf);
          }, 300);
        }
        if (now < stalledUntil) held.push([s, c]);
        else s.write(c);
      }),
    );
    try {
      const r = await bench(stall.url, { duration: '1s', warmup: 0, connections: 2, rate: 200, size: 64 });
      assert.equal(r.errors.total, 0);
      // About 30% of the messages were scheduled during the stall: p90 and up see it.
      assert.ok(r.latencyUs!.p90 >= 100_000, `p90 ${r.latencyUs!.p90} µs`);
      assert.ok(r.latencyUs!.max >= 250_000, `max ${r.latencyUs!.max} µs`);
      assert.ok(r.latencyUs!.p50 < 100_000, `p50 ${r.latencyUs!.p50} µs`);
    } finally {
      await stall.close();
    }
  });

  it('counts timeouts and closed connections', async () => {
    const silent = await rawServer(() => {});
    try {
      const r = await bench(silent.url, { duration: '500ms', warmup: 0, connections: 2, timeout: '100ms' });
      assert.equal(r.errors.timeouts, 2);
    } finally {
      await silent.close();
    }
    const rude = await rawServer((s) => s.once('data', () => s.end()));
    try {
      const r = await bench(rude.url, { ...quick, connections: 3 });
      assert.equal(r.errors.shortReads + r.errors.closed, 3);
    } finally {
      await rude.close();
    }
  });

  it('spreads connections over --source addresses', async () => {
    const seen = new Set<string>();
    const onConn = (c: { remoteAddress: string }): void => void seen.add(c.remoteAddress);
    t.server.on('connection', onConn);
    try {
      const r = await bench(t.url, { ...quick, connections: 4, source: '127.0.0.2,127.0.0.3' });
      assert.equal(r.errors.total, 0);
      assert.deepEqual([...seen].sort(), ['127.0.0.2', '127.0.0.3']);
    } finally {
      t.server.off('connection', onConn);
    }
  });

  it('rejects bad options naming them', async () => {
    await assert.rejects(bench(t.url, { connections: 0 }), { message: 'invalid connections: "0" (expected a whole number >= 1)' });
    await assert.rejects(bench(t.url, { rate: 10, stream: true }), { message: 'conflicting options: choose one of pipeline, rate and stream' });
    await assert.rejects(bench(t.url, { source: 'nope' }), { message: 'invalid source: "nope" is not an IP address' });
    await assert.rejects(bench(t.url, { workers: 5, connections: 2 }), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
  });

  it('split() shares connections evenly', () => {
    assert.deepEqual(split(10, 3), [4, 3, 3]);
    assert.deepEqual(split(2, 2), [1, 1]);
  });
});

describe('bench() over other transports', () => {
  it('tls, ws, udp and http: every echo verified, counts add up', async () => {
    const server = await serve({
      listen: ['tls://127.0.0.1:0', 'ws://127.0.0.1:0', 'udp://127.0.0.1:0', 'http://127.0.0.1:0'],
      tls: { selfSigned: true },
      udp: { rate: 1_000_000 },
    });
    try {
      for (const url of server.addresses) {
        const r = await bench(url, { ...quick, connections: 3, size: 256, timeout: '2s', tls: { ca: server.certificate?.pem ?? '' } });
        assert.ok(r.roundTrips > 0, url);
        assert.equal(r.errors.total, 0, url);
        // Bytes of the messages in flight at either edge of the window count too: at most one per connection each.
        assert.ok(Math.abs(r.bytesReceived - r.roundTrips * 256) <= 2 * 3 * 256, `${url}: ${r.bytesReceived} bytes for ${r.roundTrips}`);
        assert.equal(r.datagrams === null, !url.startsWith('udp'), url);
      }
    } finally {
      await server.destroy();
    }
  });

  it('http: a server that answers with other bytes is caught (mismatches)', async () => {
    const wrong = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(Buffer.alloc(256, 7)));
    });
    wrong.listen(0, '127.0.0.1');
    await once(wrong, 'listening');
    try {
      const r = await bench(`http://127.0.0.1:${(wrong.address() as net.AddressInfo).port}`, { ...quick, connections: 2, size: 256 });
      assert.equal(r.roundTrips, 0);
      assert.equal(r.errors.mismatches, 2);
    } finally {
      wrong.closeAllConnections();
      wrong.close();
    }
  });

  it('http: a 500 is counted by status and the connection goes on; chunked raw echoes verify; pipelined counts match the server', async () => {
    // Every 5th POST gets a 500; the others their body back, chunked (no Content-Length).
    let posts = 0;
    let fives = 0;
    const flaky = http.createServer((req, res) => {
      if (req.method === 'HEAD') return res.end();
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        if (++posts % 5 === 0) {
          fives++;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('every fifth fails');
          return;
        }
        res.writeHead(200);
        for (const c of parts) res.write(c);
        res.end();
      });
    });
    flaky.listen(0, '127.0.0.1');
    await once(flaky, 'listening');
    const url = `http://127.0.0.1:${(flaky.address() as net.AddressInfo).port}/x`;
    try {
      for (const pipeline of [1, 4]) {
        posts = 0;
        fives = 0;
        const r = await bench(url, { duration: '400ms', warmup: '0s', connections: 3, size: 300, pipeline });
        const answered = r.roundTrips + r.errors.httpStatus;
        assert.ok(r.roundTrips > 0);
        assert.equal(r.errors.total, r.errors.httpStatus, JSON.stringify(r.errors));
        assert.deepEqual(r.httpStatuses, { '3xx': 0, '4xx': 0, '5xx': r.errors.httpStatus });
        // Only the requests still in flight when the run stopped reach the server uncounted: at most pipeline x connections.
        assert.ok(posts - answered >= 0 && posts - answered <= 3 * pipeline, `server ${posts}, bench ${answered}`);
        assert.ok(fives - r.errors.httpStatus >= 0 && fives - r.errors.httpStatus <= 3 * pipeline, `server ${fives} 500s, bench ${r.errors.httpStatus}`);
      }
      const cli = await runCli(['bench', url, '-c', '1', '-d', '300ms', '--warmup', '0s', '--json']);
      assert.equal(cli.code, 1);
      const j = JSON.parse(cli.stdout) as { errors: { httpStatus: number } };
      assert.ok(j.errors.httpStatus > 0);
      assert.match(cli.stderr, new RegExp(`^netecho: ${j.errors.httpStatus} replies were not 2xx \\(3xx 0, 4xx 0, 5xx ${j.errors.httpStatus}\\)$`, 'm'));
    } finally {
      flaky.closeAllConnections();
      flaky.close();
    }
  });

  it('http: a server that is not HTTP is refused at connect with ERR_NETECHO_PROTOCOL', async () => {
    const notHttp = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    notHttp.listen(0, '127.0.0.1');
    await once(notHttp, 'listening');
    try {
      await assert.rejects(bench(`http://127.0.0.1:${(notHttp.address() as net.AddressInfo).port}`, { ...quick, connections: 2, size: 16 }), {
        code: 'ERR_NETECHO_PROTOCOL',
        message: 'not an HTTP/1.x response: "SSH-2.0-OpenSSH_9.2"',
      });
    } finally {
      notHttp.close();
    }
  });

  it('udp: echoes that overtake older ones are counted as reordered', async () => {
    // An echo server that holds each datagram until the next one comes, then answers the newer one first.
    const swapper = dgram.createSocket('udp4');
    let held: { msg: Buffer; port: number } | null = null;
    swapper.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (held === null) {
        held = { msg, port: rinfo.port };
        return;
      }
      swapper.send(msg, rinfo.port, rinfo.address);
      swapper.send(held.msg, held.port, rinfo.address);
      held = null;
    });
    swapper.bind(0, '127.0.0.1');
    await once(swapper, 'listening');
    try {
      const r = await bench(`udp://127.0.0.1:${swapper.address().port}`, { connections: 1, size: 32, duration: '500ms', warmup: 0, rate: 200, timeout: '2s' });
      assert.ok(r.datagrams !== null);
      assert.ok(r.datagrams.reordered >= 20, `reordered ${r.datagrams.reordered}`);
      assert.ok(Math.abs(r.datagrams.reordered * 2 - r.roundTrips) <= 2, `half of ${r.roundTrips} echoes came early`);
      assert.equal(r.datagrams.lost, 0);
      assert.equal(r.errors.total, 0);
    } finally {
      swapper.close();
    }
  });

  it('udp: datagrams the server drops are counted as lost, not errors', async () => {
    const server = await serve({ listen: 'udp://127.0.0.1:0', udp: { rate: 50 } });
    try {
      const r = await bench(server.addresses[0] ?? '', { connections: 2, size: 64, duration: '600ms', warmup: 0, rate: 400, timeout: '100ms' });
      assert.ok(r.datagrams !== null && r.datagrams.lost > 0, 'some lost to the cap');
      assert.equal(r.errors.total, 0);
      assert.ok(r.roundTrips > 0);
    } finally {
      await server.destroy();
    }
  });
});

describe('bench against a server that caps connections', () => {
  it('connections reset as they opened are counted apart from echo errors, and said so', async () => {
    const capped = await startServer({ maxConnectionsPerIp: 2 });
    try {
      const result = await bench(capped.url, { connections: 5, ...quick });
      assert.deepEqual(
        [result.connections, result.errors.resetAtOpen, result.errors.total, result.errors.mismatches, result.errors.resets, result.errors.connect],
        [5, 3, 3, 0, 0, 0],
      );
      assert.ok(result.roundTrips > 0);
      const r = await runCli(['bench', capped.url, '-c', '5', '-d', '300ms', '--warmup', '0']);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        'netecho: 3 connection(s) were reset as they opened: is the server capping connections? (netecho serve: --max-connections, --max-connections-per-ip)\n',
      );
      assert.match(r.stdout, /\n {2}connections {3}\d+ of 5 opened, 3 reset by the server as they opened\n/);
    } finally {
      await capped.server.destroy();
    }
  });

  it('a local bench -c 300 against a default server: loopback clients are not capped per IP', async () => {
    const s = await startServer();
    try {
      const result = await bench(s.url, { connections: 300, duration: '300ms', warmup: '100ms', size: 64 });
      assert.deepEqual([result.connected, result.errors.total], [300, 0]);
      assert.equal(s.server.stats.refused['max-connections-per-ip'], 0);
    } finally {
      await s.server.destroy();
    }
  });
});

describe('netecho bench (CLI)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.server.destroy());

  it('--json prints one complete JSON document; exit 0', async () => {
    const r = await runCli(['bench', t.url, '-c', '2', '-d', '300ms', '--warmup', '0', '--size', '64', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['url', 'mode', 'connections', 'connected', 'size', 'durationMs', 'roundTrips', 'roundTripsPerSec', 'bytesSent', 'bytesReceived', 'bandwidthBytesPerSec', 'latencyUs', 'errors', 'clientCpuPercent']) {
      assert.ok(key in doc, `missing ${key}`);
    }
    assert.deepEqual([doc.url, doc.connections, doc.size], [t.url, 2, 64]);
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');
  });

  it('prints the table; a corrupting server exits 65', async () => {
    const ok = await runCli(['bench', t.url, '-c', '2', '-d', '300ms', '--warmup', '0']);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^netecho bench tcp:\/\/127\.0\.0\.1:\d+: closed loop, 2 connection\(s\), 1 KiB messages, 0\.3 s measured\n/);
    assert.match(ok.stdout, /\n {2}latency {7}p50 /);
    const bad = await rawServer((s) => s.on('data', (c: Buffer) => s.write(Buffer.from(c).reverse())));
    try {
      const r = await runCli(['bench', bad.url, '-c', '1', '-d', '200ms', '--warmup', '0', '--size', '16']);
      assert.equal(r.code, 65);
      assert.match(r.stderr, /^netecho: \d+ error\(s\): the server did not echo every byte correctly and in time\n$/);
    } finally {
      await bad.close();
    }
  });

  it('bad options and refused connections: one line each', async () => {
    const cases: Array<[string[], number, string]> = [
      [['bench', t.url, '--size', '0'], 2, 'netecho: invalid --size: 0 bytes (from 1 byte to 64MiB)\n'],
      [['bench', t.url, '--rate', '5', '--stream'], 2, 'netecho: conflicting options: choose one of --pipeline, --rate and --stream\n'],
      [['bench', t.url, '-c', 'lots'], 2, 'netecho: invalid --connections: "lots" (expected a whole number >= 1)\n'],
      [['bench', t.url, '--source', '127.0.0.1,x'], 2, 'netecho: invalid --source: "x" is not an IP address\n'],
      [['bench', 'http://127.0.0.1:9', '--stream'], 2, 'netecho: invalid --stream: http:// carries requests, not a stream (use the closed loop, --pipeline or --rate)\n'],
      [['bench', 'udp://127.0.0.1:9', '--size', '2'], 2, 'netecho: invalid --size: 2 bytes (udp:// takes 4 to 65507)\n'],
      [['bench', 'ws://127.0.0.1:9', '--source', '127.0.0.2'], 2, 'netecho: invalid --source: source addresses are for tcp:// and tls:// (not ws://)\n'],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(args);
      assert.deepEqual([r.code, r.stderr], [code, message], args.join(' '));
    }
    const gone = await startServer();
    await gone.server.destroy();
    const r = await runCli(['bench', gone.url, '-c', '3', '-d', '200ms']);
    assert.deepEqual([r.code, r.stderr], [69, `netecho: connection refused by ${gone.url}\n`]);
  });
});
