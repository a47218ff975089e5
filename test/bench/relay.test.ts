import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { benchRelay, relay, type RelayServer } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { missing } from '../helpers/peers.js';
import { RedisServer } from '../helpers/redis.js';

type Fault = 'none' | 'drop' | 'duplicate' | 'alter' | 'swap';

/** A broadcast server with one fault: drops every 7th message, sends some twice, alters a byte, or swaps pairs. */
async function faultyRelay(fault: Fault): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const rooms = new Map<string, Set<WebSocket>>();
  let n = 0;
  let held: Buffer | null = null;
  wss.on('connection', (ws, req) => {
    const room = req.url ?? '/';
    const members = rooms.get(room) ?? new Set();
    rooms.set(room, members);
    members.add(ws);
    ws.on('close', () => members.delete(ws));
    ws.on('message', (data: Buffer) => {
      const probe = /^P\d+:0:/.test(data.toString('latin1', 0, 12));
      const out: Buffer[] = [data];
      if (!probe) {
        n++;
        if (fault === 'drop' && n % 7 === 0) out.length = 0;
        if (fault === 'duplicate' && n % 7 === 0) out.push(data);
        if (fault === 'alter' && n % 7 === 0) out[0] = Buffer.concat([data.subarray(0, -1), Buffer.from('y')]);
        if (fault === 'swap') {
          if (held === null) {
            held = data;
            out.length = 0;
          } else {
            out.splice(0, 1, data, held);
            held = null;
          }
        }
      }
      for (const m of members) if (m !== ws) for (const d of out) m.send(d, { binary: false });
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await once(wss, 'close');
    },
  };
}

const quick = { duration: '600ms', warmup: '200ms', timeout: '2s' } as const;

describe('benchRelay: fan-out through a relay, every delivery checked', () => {
  let r: RelayServer;
  before(async () => {
    r = await relay({ listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'], rate: 100_000 });
  });
  after(() => r.destroy());

  it('over WebSocket: 2 rooms x 2 publishers x 5 subscribers, each message to each subscriber of its room once', async () => {
    const res = await benchRelay(r.addresses[0] ?? '', { rooms: 2, publishers: 2, subscribers: 5, rate: 50, ...quick });
    assert.equal(res.errors, 0);
    assert.ok(res.published > 0);
    assert.equal(res.expectedDeliveries, res.published * 5);
    assert.equal(res.delivered, res.expectedDeliveries);
    assert.equal(res.latencyUs?.count, res.delivered);
    assert.equal(res.connections, 14);
  });

  it('over lines (tcp://): the same, with /join', async () => {
    const res = await benchRelay(r.addresses[1] ?? '', { rooms: 1, publishers: 1, subscribers: 8, rate: 100, size: 200, ...quick });
    assert.deepEqual([res.errors, res.delivered, res.size], [0, res.published * 8, 200]);
  });

  for (const [fault, field] of [
    ['drop', 'lost'],
    ['duplicate', 'duplicated'],
    ['alter', 'mismatched'],
    ['swap', 'reordered'],
  ] as const) {
    it(`catches a relay that gets it wrong: ${fault} shows as ${field}`, async () => {
      const bad = await faultyRelay(fault);
      try {
        const res = await benchRelay(bad.url, { publishers: 1, subscribers: 3, rate: 100, ...quick });
        assert.ok(res[field] > 0, `${field} = ${res[field]}`);
        assert.ok(res.errors >= res[field]);
      } finally {
        await bad.close();
      }
    });
  }

  it('a correct broadcast server passes (the checks do not cry wolf)', async () => {
    const good = await faultyRelay('none');
    try {
      const res = await benchRelay(good.url, { publishers: 2, subscribers: 4, rate: 100, ...quick });
      assert.equal(res.errors, 0);
      assert.equal(res.delivered, res.expectedDeliveries);
    } finally {
      await good.close();
    }
  });

  it('bad options name the option', async () => {
    await assert.rejects(benchRelay(r.addresses[0] ?? '', { size: 8 }), /size.*at least 32/);
    await assert.rejects(benchRelay(r.addresses[0] ?? '', { rooms: 0 }), /rooms/);
    await assert.rejects(benchRelay('udp://127.0.0.1:9'), { code: 'ERR_NETECHO_UNSUPPORTED_SCHEME' });
  });
});

describe('benchRelay across instances', { skip: missing('redis-server') }, () => {
  it('subscribers on two instances over one Redis get every message once, in order', async () => {
    const redis = await RedisServer.start();
    const [a, b] = await Promise.all([relay({ listen: 'ws://127.0.0.1:0', redis: redis.url, rate: 100_000 }), relay({ listen: 'ws://127.0.0.1:0', redis: redis.url, rate: 100_000 })]);
    try {
      const res = await benchRelay(a.addresses[0] ?? '', { subscribers: 6, publishers: 2, rate: 100, subscribeUrls: [b.addresses[0] ?? ''], ...quick });
      assert.equal(res.errors, 0);
      assert.equal(res.delivered, res.published * 6);
      assert.equal(res.subscribeUrls.length, 2);
      assert.ok(b.stats.messages.remote >= res.published);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await redis.stop();
    }
  });

  it('a second instance that does not share rooms: the probe says so (timeout), not a silent pass', async () => {
    const [a, b] = await Promise.all([relay({ listen: 'ws://127.0.0.1:0' }), relay({ listen: 'ws://127.0.0.1:0' })]);
    try {
      await assert.rejects(benchRelay(a.addresses[0] ?? '', { subscribers: 2, subscribeUrls: [b.addresses[0] ?? ''], ...quick, timeout: '500ms' }), (err: Error & { code: string }) => {
        assert.equal(err.code, 'ERR_NETECHO_TIMEOUT');
        assert.match(err.message, /^1 of 2 subscriber\(s\) got nothing from the publishers of their room within 500 ms/);
        return true;
      });
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });
});

describe('netecho bench --relay (CLI)', () => {
  it('exit 0 and the table; exit 1 when deliveries are lost; flags that do not fit are usage errors', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', rate: 100_000 });
    const bad = await faultyRelay('drop');
    try {
      const ok = await runCli(['bench', '--relay', r.addresses[0] ?? '', '--subscribers', '3', '--rate', '50', '-d', '500ms', '--warmup', '0s']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^ {2}deliveries {4}(\d[\d,]*) of \1 \(/m);
      assert.match(ok.stdout, /^ {2}errors {8}0$/m);
      const lost = await runCli(['bench', '--relay', bad.url, '--subscribers', '2', '--rate', '100', '-d', '500ms', '--timeout', '1s', '--json']);
      assert.equal(lost.code, 1);
      const doc = JSON.parse(lost.stdout) as { lost: number; errors: number };
      assert.ok(doc.lost > 0);
      assert.equal(lost.stderr, `netecho: ${doc.errors} error(s): not every message reached every subscriber once, in order and intact\n`);
      const pipeline = await runCli(['bench', '--relay', r.addresses[0] ?? '', '--pipeline', '4']);
      assert.deepEqual([pipeline.code, pipeline.stderr], [2, 'netecho: --pipeline does not apply to --relay\n']);
      const rooms = await runCli(['bench', r.addresses[0] ?? '', '--rooms', '3']);
      assert.deepEqual([rooms.code, rooms.stderr], [2, 'netecho: --rooms needs --relay\n']);
    } finally {
      await bad.close();
      await r.destroy();
    }
  });
});
