import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { relay, type RelayOptions, type RelayServer } from '../../src/index.js';
import { until } from '../helpers/net.js';
import { freePort, missing } from '../helpers/peers.js';
import { RedisServer } from '../helpers/redis.js';
import { LineClient, WsClient } from '../helpers/relay.js';

const skip = missing('redis-server');
const portOf = (url: string): number => Number(url.slice(url.lastIndexOf(':') + 1));

/** Open a WebSocket member and resolve once `r` has it in `room` (subscribed on every instance). */
async function member(r: RelayServer, room: string, name: string, query = ''): Promise<WsClient> {
  const joined = new Promise<void>((resolve) => {
    const on = (j: { name: string; room: string }): void => {
      if (j.name !== name || j.room !== room) return;
      r.removeListener('join', on);
      resolve();
    };
    r.on('join', on);
  });
  const c = await WsClient.open(`${r.addresses[0]}/${room}?name=${name}${query}`);
  await joined;
  return c;
}

describe('relay over Redis: three instances share rooms', { skip }, () => {
  let redis: RedisServer;
  let a: RelayServer;
  let b: RelayServer;
  let c: RelayServer;
  before(async () => {
    redis = await RedisServer.start();
    const o: RelayOptions = { redis: redis.url, rate: 100_000, history: 50 };
    [a, b, c] = await Promise.all([
      relay({ ...o, listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'] }),
      relay({ ...o, listen: 'ws://127.0.0.1:0' }),
      relay({ ...o, listen: 'ws://127.0.0.1:0' }),
    ]);
  });
  after(async () => {
    await Promise.all([a, b, c].map((r) => r?.destroy()));
    await redis?.stop();
  });

  it('a message published on one instance reaches the members on every other exactly once, in order, as sent', async () => {
    const onA = await member(a, 'hall', 'ann');
    const onC = await member(c, 'hall', 'cat');
    const alsoB = await member(b, 'hall', 'bob');
    const line = await LineClient.open(portOf(a.addresses[1] ?? ''));
    line.send('/join hall');
    await line.waitLine(/^\* joined hall$/);
    const publisher = await member(b, 'hall', 'pub');
    const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
    for (const m of sent) publisher.ws.send(m);
    publisher.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    for (const x of [onA, onC, alsoB]) {
      const got = await x.count(301);
      assert.deepEqual(got.slice(0, 300).map((m) => m.data.toString()), sent);
      assert.deepEqual([got[300]?.binary, got[300]?.data], [true, Buffer.from([0, 1, 2, 255])]);
    }
    await line.waitLine(301);
    assert.deepEqual(line.lines.slice(1, 301), sent);
    // Exactly once: nothing more arrives after a last marker that went the same way.
    publisher.ws.send('end');
    for (const x of [onA, onC, alsoB]) assert.equal((await x.count(302))[301]?.data.toString(), 'end');
    assert.equal(onA.received.length, 302);
    assert.equal(publisher.received.length, 0, 'the sender got its own messages');
    assert.deepEqual([b.stats.messages.published, a.stats.messages.remote, c.stats.messages.remote], [302, 302, 302]);
    // Each instance fans out to its own members: A has two (ann, the line client), C one.
    assert.equal(c.stats.messages.delivered, 302);
    for (const x of [onA, onC, alsoB, publisher]) x.close();
    line.close();
  });

  it('a line client on A and a WebSocket client on C talk in one room; /who and presence span instances', async () => {
    const line = await LineClient.open(portOf(a.addresses[1] ?? ''));
    line.send('/nick lena', '/format chat', '/join deck');
    await line.waitLine(/^\* joined deck$/);
    const web = await member(c, 'deck', 'wes', '&format=json');
    await line.waitLine(/^\* wes joined deck$/);
    line.send('/who deck');
    await line.waitLine(/^\* in deck: lena, wes$/);
    assert.deepEqual(web.json()[0], { type: 'members', room: 'deck', members: ['lena', 'wes'], count: 2, ts: web.json()[0]?.ts });
    line.send('from the line');
    const m = await web.waitJson((x) => x.type === 'message');
    assert.deepEqual([m.from, m.data], ['lena', 'from the line']);
    web.ws.send('from the web');
    await line.waitLine(/^\[deck\] wes: from the web$/);
    line.close();
    await web.waitJson((x) => x.type === 'leave' && x.from === 'lena');
    const after = await (await member(b, 'deck', 'late', '&format=json')).waitJson((x) => x.type === 'members');
    assert.deepEqual(after.members, ['late', 'wes']);
    web.close();
  });

  it('history in Redis: a client back on another instance with ?since= gets what it missed, no duplicate, no gap; beyond it one gap', async () => {
    const writer = await member(a, 'log', 'w');
    const first = await member(b, 'log', 'r1', '&format=json');
    for (let i = 0; i < 10; i++) writer.ws.send(`old${i}`);
    const seen = await first.waitJson((x) => x.data === 'old9');
    const lastSeenId = (first.json().find((x) => x.data === 'old4') as { id: string }).id;
    assert.match(String(seen.id), /^[0-9a-z]+:10$/);
    first.close();
    // Back on C from old4: old5..old9, then what comes live, with no duplicate at the seam.
    const back = await member(c, 'log', 'r1', `&format=json&since=${lastSeenId}`);
    writer.ws.send('live');
    await back.waitJson((x) => x.data === 'live');
    const data = back.json().filter((x) => x.type === 'message').map((x) => x.data);
    assert.deepEqual(data, ['old5', 'old6', 'old7', 'old8', 'old9', 'live']);
    back.close();
    // More missed than kept (50): one gap notice with the count, then the 50 kept.
    for (let i = 0; i < 70; i++) writer.ws.send(`new${i}`);
    const watcher = await member(b, 'log', 'watch', '&format=json');
    writer.ws.send('mark');
    await watcher.waitJson((x) => x.data === 'mark');
    const far = await member(c, 'log', 'r2', `&format=json&since=${String(seen.id)}`);
    await far.waitJson((x) => x.data === 'mark');
    const events = far.json().filter((x) => x.type !== 'members');
    assert.deepEqual(events[0], { type: 'gap', room: 'log', missed: 22, reason: 'more than the 50 kept, or older than the history TTL', ts: events[0]?.ts });
    assert.equal(events.length, 1 + 50);
    // Missed after old9: live and new0..new20; kept: new21..new69 and mark.
    assert.equal(events[1]?.data, 'new21');
    assert.equal(events[50]?.data, 'mark');
    for (const x of [writer, watcher, far]) x.close();
  });
});

describe('relay over Redis: Redis lost and back', { skip }, () => {
  it('killed mid-run: rooms on each instance keep working, what could not be carried is counted; restarted: shared again', async () => {
    const redis = await RedisServer.start();
    const [a, b] = await Promise.all([relay({ listen: 'ws://127.0.0.1:0', redis: redis.url }), relay({ listen: 'ws://127.0.0.1:0', redis: redis.url })]);
    try {
      const events: string[] = [];
      a.on('broker', (e) => events.push(e.state));
      const [a1, a2, b1] = [await member(a, 'r', 'a1'), await member(a, 'r', 'a2'), await member(b, 'r', 'b1')];
      a1.ws.send('before');
      assert.equal((await b1.count(1))[0]?.data.toString(), 'before');
      await a2.count(1);
      const down = once(a, 'broker');
      await redis.kill();
      await down;
      assert.equal(a.stats.broker.state, 'down');
      for (let i = 0; i < 5; i++) a1.ws.send(`during${i}`);
      assert.deepEqual((await a2.count(6)).slice(1).map((m) => m.data.toString()), ['during0', 'during1', 'during2', 'during3', 'during4']);
      assert.equal(a.stats.broker.undelivered, 5);
      await redis.restart();
      await until(() => a.stats.broker.state === 'ready' && b.stats.broker.state === 'ready', 15_000);
      assert.deepEqual([a.stats.broker.reconnects, b.stats.broker.reconnects], [1, 1]);
      assert.deepEqual(events, ['down', 'ready']);
      a1.ws.send('after');
      const got = await b1.count(2);
      assert.deepEqual(got.map((m) => m.data.toString()), ['before', 'after']);
      assert.equal(b1.received.length, 2, 'b1 got what was published while Redis was down');
      for (const x of [a1, a2, b1]) x.close();
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await redis.stop();
    }
  });

  it('unreachable at start: a clear error naming the Redis (no password); with redisOptional it starts and joins when Redis comes', async () => {
    const port = await freePort();
    await assert.rejects(relay({ listen: 'ws://127.0.0.1:0', redis: `redis://:hunter2@127.0.0.1:${port}` }), (err: Error & { code: string }) => {
      assert.equal(err.code, 'ERR_NETECHO_CONNECT_REFUSED');
      assert.equal(err.message, `connection refused by Redis at redis://:***@127.0.0.1:${port}`);
      return true;
    });
    const alone = await relay({ listen: 'ws://127.0.0.1:0', redis: `redis://127.0.0.1:${port}`, redisOptional: true });
    assert.equal(alone.stats.broker.state, 'down');
    const redis = await RedisServer.startOn(port);
    try {
      const x = await member(alone, 'solo', 'x');
      const y = await member(alone, 'solo', 'y');
      x.ws.send('works alone');
      assert.equal((await y.count(1))[0]?.data.toString(), 'works alone');
      await until(() => alone.stats.broker.state === 'ready', 15_000);
      const other = await relay({ listen: 'ws://127.0.0.1:0', redis: redis.url });
      const z = await member(other, 'solo', 'z');
      x.ws.send('now shared');
      assert.equal((await z.count(1))[0]?.data.toString(), 'now shared');
      for (const c of [x, y, z]) c.close();
      await other.destroy();
    } finally {
      await alone.destroy();
      await redis.stop();
    }
  });
});

describe('relay over Redis: property', { skip }, () => {
  it('random joins, leaves, messages and reconnects across 3 instances: each receiver gets what a model says, in order', async () => {
    const redis = await RedisServer.start();
    const relays = await Promise.all([0, 1, 2].map(() => relay({ listen: 'ws://127.0.0.1:0', redis: redis.url, rate: 100_000, history: 1000 })));
    type Op = { op: 'join' | 'leave' | 'away' | 'back' | 'send'; at: number; pick: number };
    const op = fc.record({ op: fc.constantFrom<Op['op']>('join', 'join', 'leave', 'away', 'back', 'send', 'send', 'send'), at: fc.integer({ min: 0, max: 2 }), pick: fc.nat() });
    let run = 0;
    let total = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
          const room = `prop${run++}`;
          const senders = await Promise.all(relays.map((r, i) => member(r, room, `sender${i}`)));
          // A client: its connection (null while away), what it has got over all its connections, what it should.
          const clients: Array<{ name: string; c: WsClient | null; got: Array<Record<string, unknown>>; expect: string[]; gone: boolean }> = [];
          const messages = (x: (typeof clients)[number]): Array<Record<string, unknown>> => [...x.got, ...(x.c?.json() ?? [])].filter((m) => m.type === 'message');
          let n = 0;
          for (const { op: kind, at, pick } of ops) {
            const present = clients.filter((x) => !x.gone && x.c !== null);
            if (kind === 'join') {
              const name = `c${clients.length}`;
              clients.push({ name, c: await member(relays[at] as RelayServer, room, name, '&format=json'), got: [], expect: [], gone: false });
            } else if (kind === 'leave' || kind === 'away') {
              // Away only once it has an id to come back with.
              const candidates = kind === 'away' ? present.filter((x) => messages(x).length > 0) : present;
              const x = candidates[pick % Math.max(1, candidates.length)];
              if (x === undefined || x.c === null) continue;
              x.c.close();
              await x.c.closed();
              x.got.push(...x.c.json());
              x.c = null;
              x.gone = kind === 'leave';
            } else if (kind === 'back') {
              const away = clients.filter((x) => !x.gone && x.c === null);
              const x = away[pick % Math.max(1, away.length)];
              if (x === undefined) continue;
              const since = String(messages(x).at(-1)?.id);
              x.c = await member(relays[at] as RelayServer, room, x.name, `&format=json&since=${since}`);
              await x.c.waitJson(() => messages(x).length === x.expect.length);
            } else {
              const m = `m${n++}`;
              for (const x of clients) if (!x.gone) x.expect.push(m);
              (senders[at] as WsClient).ws.send(m);
              // Every instance has it (published there, or received from Redis) before membership changes again.
              total++;
              await until(() => relays.every((r) => r.stats.messages.published + r.stats.messages.remote === total));
              for (const x of present) await x.c?.waitJson(() => messages(x).length === x.expect.length);
            }
          }
          for (const x of clients) {
            // Those still away come back now.
            if (x.c === null && !x.gone) x.c = await member(relays[0] as RelayServer, room, x.name, `&format=json&since=${String(messages(x).at(-1)?.id)}`);
            if (x.c !== null && !x.gone) await x.c.waitJson(() => messages(x).length === x.expect.length);
            assert.deepEqual(messages(x).map((m) => m.data), x.gone ? messages(x).map((m) => m.data) : x.expect, x.name);
            assert.ok(![...x.got, ...(x.c?.json() ?? [])].some((m) => m.type === 'gap'), `${x.name} got a gap`);
            x.c?.close();
          }
          // Those who left got a prefix of what they would have got.
          for (const x of clients.filter((y) => y.gone)) assert.deepEqual(messages(x).map((m) => m.data), x.expect.slice(0, messages(x).length));
          for (const s of senders) s.close();
        }),
        { numRuns: 12 },
      );
    } finally {
      await Promise.all(relays.map((r) => r.destroy()));
      await redis.stop();
    }
  });
});
