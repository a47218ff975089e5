import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { relay, type RelayServer } from '../../src/index.js';
import { until } from '../helpers/net.js';
import { LineClient, WsClient } from '../helpers/relay.js';

const portOf = (url: string): number => Number(url.slice(url.lastIndexOf(':') + 1));

describe('relay: rooms over WebSocket and lines', () => {
  let r: RelayServer;
  let ws: string;
  let tcp: number;
  before(async () => {
    r = await relay({ listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'], rate: 100_000 });
    ws = r.addresses[0] ?? '';
    tcp = portOf(r.addresses[1] ?? '');
  });
  after(() => r.destroy());

  it('each message reaches every other member exactly as sent: text stays text, binary binary, a line is a text message', async () => {
    const a = await WsClient.open(`${ws}/exact`);
    const b = await WsClient.open(`${ws}/exact`);
    const line = await LineClient.open(tcp);
    line.send('/join exact');
    await line.waitLine(/^\* joined exact$/);
    await until(() => r.rooms.find((x) => x.room === 'exact')?.members === 3);
    a.ws.send('text from a');
    a.ws.send(Buffer.from([0, 1, 2, 255]));
    line.send('a line from tcp');
    const got = await b.count(3);
    assert.deepEqual(
      got.map((m) => [m.binary, m.binary ? [...m.data] : m.data.toString()]),
      [
        [false, 'text from a'],
        [true, [0, 1, 2, 255]],
        [false, 'a line from tcp'],
      ],
    );
    // The sender gets nothing of its own; the line client gets the WebSocket messages as lines.
    assert.deepEqual((await a.count(1)).map((m) => m.data.toString()), ['a line from tcp']);
    await line.waitLine(3);
    assert.deepEqual(line.lines.slice(1), ['text from a', '\u0000\u0001\u0002\ufffd']);
    for (const c of [a, b, line]) c.close();
  });

  it('?echo=1 gets its own messages too; a room is only its members', async () => {
    const me = await WsClient.open(`${ws}/mine?echo=1`);
    const elsewhere = await WsClient.open(`${ws}/other`);
    me.ws.send('to myself');
    assert.equal((await me.count(1))[0]?.data.toString(), 'to myself');
    assert.equal(elsewhere.received.length, 0);
    me.close();
    elsewhere.close();
  });

  it('in order per sender, on every receiver: 2,000 messages from one sender, 3 receivers over both transports', async () => {
    const sender = await WsClient.open(`${ws}/order`);
    const receivers = await Promise.all([WsClient.open(`${ws}/order`), WsClient.open(`${ws}/order`)]);
    const line = await LineClient.open(tcp);
    line.send('/join order', '/leave lobby');
    await line.waitLine(/^\* left lobby/);
    await until(() => r.rooms.find((x) => x.room === 'order')?.members === 4);
    const n = 2000;
    for (let i = 0; i < n; i++) sender.ws.send(`m${i}`);
    const expected = Array.from({ length: n }, (_, i) => `m${i}`);
    for (const rc of receivers) assert.deepEqual((await rc.count(n)).map((m) => m.data.toString()), expected);
    await line.waitLine(n + 2);
    assert.deepEqual(line.lines.slice(2), expected);
    for (const c of [sender, ...receivers, line]) c.close();
  });

  it('JSON clients get envelopes with sender, id and time, and presence; `from` cannot be forged', async () => {
    const watcher = await WsClient.open(`${ws}/json?format=json&name=watcher`);
    await watcher.waitJson((m) => m.type === 'members');
    const mallory = await WsClient.open(`${ws}/json?name=mallory`);
    await watcher.waitJson((m) => m.type === 'join' && m.from === 'mallory');
    mallory.ws.send(JSON.stringify({ type: 'message', from: 'admin', data: 'obey' }));
    const msg = await watcher.waitJson((m) => m.type === 'message');
    assert.equal(msg.from, 'mallory');
    assert.equal(msg.room, 'json');
    assert.equal(msg.data, '{"type":"message","from":"admin","data":"obey"}');
    assert.match(String(msg.id), /^[0-9a-z]+:1$/);
    assert.equal(typeof msg.ts, 'number');
    mallory.close();
    const left = await watcher.waitJson((m) => m.type === 'leave');
    assert.deepEqual([left.from, left.room], ['mallory', 'json']);
    watcher.close();
  });

  it('room names: percent-decoded from the path; a bad one is refused before the upgrade with a JSON 400', async () => {
    const cafe = await WsClient.open(`${ws}/caf%C3%A9?format=json`);
    const members = await cafe.waitJson((m) => m.type === 'members');
    assert.equal(members.room, 'café');
    cafe.close();
    for (const [path, error] of [
      ['/a%20b', /room "a b" may hold letters, digits/],
      ['/a/b', /names more than one room/],
      ['/%E0%A4%A', /not valid percent-encoding/],
      [`/${'x'.repeat(65)}`, /longer than 64 characters/],
    ] as const) {
      const refusal = await WsClient.refusal(`${ws}${path}`);
      assert.equal(refusal.status, 400, path);
      assert.match(refusal.body.error, error, path);
    }
    assert.ok(r.stats.denied['invalid-room'] >= 4);
  });

  it('the line protocol: /join, /leave, /nick, /who, /rooms, /help, //literal, unknown commands', async () => {
    const c = await LineClient.open(tcp);
    const peer = await WsClient.open(`${ws}/lines?format=json`);
    c.send('/nick carol', '/join lines', '//slash at the start', '/who lines', '/rooms', '/frobnicate', '/help');
    await c.waitLine(/^\* {3}\/\/text/);
    const lines = c.lines;
    assert.deepEqual([lines[0], lines[1], lines[3], lines[4], lines[5]], [
      '* you are carol',
      '* joined lines',
      '* your rooms: lobby, lines; sending to lines',
      '! unknown command /frobnicate (try /help)',
      '* commands:',
    ]);
    assert.match(lines[2] ?? '', /^\* in lines: carol, guest-\d+$/);
    const msg = await peer.waitJson((m) => m.type === 'message');
    assert.deepEqual([msg.from, msg.data], ['carol', '/slash at the start']);
    c.send('/leave lines');
    await c.waitLine(/^\* left lines; sending to lobby$/);
    c.close();
    peer.close();
  });
});

describe('relay: WebSocket framing', () => {
  it('members with permessage-deflate and without get the same messages (one frame shared, one compressed per member)', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', websocket: { deflate: true }, maxMessage: '128KiB', rate: 100_000 });
    try {
      const url = `${r.addresses[0] ?? ''}/frames`;
      const sender = await WsClient.open(url);
      const plain = await WsClient.open(url);
      const deflated = await WsClient.open(url, { perMessageDeflate: true });
      assert.equal(plain.ws.extensions, '');
      assert.match(deflated.ws.extensions, /^permessage-deflate/);
      await until(() => r.rooms.find((x) => x.room === 'frames')?.members === 3);
      const big = Buffer.alloc(70_000, 'z');
      sender.ws.send('small');
      sender.ws.send(big);
      sender.ws.send(Buffer.from([9, 8, 7]));
      for (const c of [plain, deflated]) {
        const got = await c.count(3);
        assert.deepEqual(got.map((m) => [m.binary, m.data.length]), [[false, 5], [true, 70_000], [true, 3]]);
        assert.ok(got[1]?.data.equals(big));
      }
      for (const c of [sender, plain, deflated]) c.close();
    } finally {
      await r.destroy();
    }
  });
});

describe('relay: history and recovery', () => {
  let r: RelayServer;
  let ws: string;
  before(async () => {
    r = await relay({ listen: 'ws://127.0.0.1:0', history: 5, rate: 100_000 });
    ws = r.addresses[0] ?? '';
  });
  after(() => r.destroy());

  it('?since=ID: what was missed, then live messages, with no duplicate and no gap at the seam', async () => {
    const pub = await WsClient.open(`${ws}/h`);
    const sub = await WsClient.open(`${ws}/h?format=json`);
    pub.ws.send('one');
    const first = await sub.waitJson((m) => m.type === 'message' && m.data === 'one');
    sub.close();
    await until(() => r.rooms.find((x) => x.room === 'h')?.members === 1);
    pub.ws.send('two');
    pub.ws.send('three');
    const back = await WsClient.open(`${ws}/h?format=json&since=${String(first.id)}`);
    pub.ws.send('four');
    await back.waitJson((m) => m.data === 'four');
    const messages = back.json().filter((m) => m.type === 'message').map((m) => m.data);
    assert.deepEqual(messages, ['two', 'three', 'four']);
    assert.equal(back.json().filter((m) => m.type === 'gap').length, 0);
    const ids = back.json().filter((m) => m.type === 'message').map((m) => String(m.id).split(':')[1]);
    assert.deepEqual(ids, ['2', '3', '4']);
    pub.close();
    back.close();
  });

  it('more missed than kept: one gap notice with how many are lost, then the kept ones', async () => {
    const pub = await WsClient.open(`${ws}/g`);
    const sub = await WsClient.open(`${ws}/g?format=json`);
    pub.ws.send('m1');
    const first = await sub.waitJson((m) => m.type === 'message');
    sub.close();
    await until(() => r.rooms.find((x) => x.room === 'g')?.members === 1);
    for (let i = 2; i <= 10; i++) pub.ws.send(`m${i}`);
    await until(() => r.stats.messages.published >= 10 + 0);
    const back = await WsClient.open(`${ws}/g?format=json&since=${String(first.id)}`);
    await back.waitJson((m) => m.data === 'm10');
    const gaps = back.json().filter((m) => m.type === 'gap');
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]?.missed, 4); // m2..m5 are gone: 5 are kept (m6..m10)
    assert.deepEqual(back.json().filter((m) => m.type === 'message').map((m) => m.data), ['m6', 'm7', 'm8', 'm9', 'm10']);
    pub.close();
    back.close();
  });

  it('an id from another numbering (a restart): a gap notice that says so, then what is kept', async () => {
    const pub = await WsClient.open(`${ws}/e`);
    pub.ws.send('kept');
    await until(() => r.stats.messages.published >= 1);
    const back = await WsClient.open(`${ws}/e?format=json&since=zzzz:7`);
    const gap = await back.waitJson((m) => m.type === 'gap');
    assert.deepEqual([gap.missed, gap.reason], [null, 'the room was renumbered since (a restart)']);
    await back.waitJson((m) => m.data === 'kept');
    pub.close();
    back.close();
  });
});

describe('relay: limits', () => {
  it('rate: a publisher at 10x its limit gets its burst through, the excess counted, the room unaffected', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', rate: 20 });
    try {
      const url = `${r.addresses[0]}/rate`;
      const flood = await WsClient.open(`${url}?format=json`);
      const quiet = await WsClient.open(url);
      const sub = await WsClient.open(url);
      await until(() => r.stats.members === 3);
      for (let i = 0; i < 200; i++) flood.ws.send(`f${i}`);
      quiet.ws.send('still heard');
      await until(() => r.stats.messages.received === 201);
      const s = r.stats.messages;
      assert.ok(s.dropped['rate-limited'] >= 170 && s.dropped['rate-limited'] <= 180, String(s.dropped['rate-limited']));
      assert.equal(s.published, 201 - s.dropped['rate-limited']);
      assert.ok(sub.received.some((m) => m.data.toString() === 'still heard'));
      const error = await flood.waitJson((m) => m.type === 'error');
      assert.match(String(error.error), /^rate limit: at most 20 messages a second/);
      for (const c of [flood, quiet, sub]) c.close();
    } finally {
      await r.destroy();
    }
  });

  it('a message above maxMessage closes a WebSocket with 1009 and a line client with an error line', async () => {
    const r = await relay({ listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'], maxMessage: '1KiB' });
    try {
      const big = await WsClient.open(`${r.addresses[0]}/big`);
      big.ws.send(Buffer.alloc(1025));
      assert.equal(await big.closed(), 1009);
      const line = await LineClient.open(portOf(r.addresses[1] ?? ''));
      line.socket.write('x'.repeat(3000));
      await line.waitLine(/^! line longer than 1024 bytes$/);
      await line.ends();
      await until(() => r.stats.closed['message-too-big'] === 2);
    } finally {
      await r.destroy();
    }
  });

  it('rooms per connection, members per room, rooms in all: each refusal said and counted', async () => {
    const r = await relay({ listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'], maxRoomsPerConnection: 2, maxMembersPerRoom: 2, maxRooms: 3 });
    try {
      const c = await LineClient.open(portOf(r.addresses[1] ?? ''));
      c.send('/join second', '/join third');
      await c.waitLine(/^! you are in 2 rooms already/);
      const one = await WsClient.open(`${r.addresses[0]}/second`);
      const full = await WsClient.open(`${r.addresses[0]}/second`);
      assert.equal(await full.closed(), 1008);
      assert.match(full.closeReason, /second is full, or there are too many rooms \(max-members-per-room\)/);
      const a = await WsClient.open(`${r.addresses[0]}/r3`);
      const tooMany = await WsClient.open(`${r.addresses[0]}/r4`);
      assert.equal(await tooMany.closed(), 1008);
      assert.deepEqual(
        [r.stats.denied['max-rooms-per-connection'], r.stats.denied['max-members-per-room'], r.stats.denied['max-rooms']],
        [1, 1, 1],
      );
      for (const x of [c, one, a]) x.close();
    } finally {
      await r.destroy();
    }
  });
});

describe('relay: slow consumers', () => {
  it('policy close: a member that never reads is closed (1008), counted, and the others get every message', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', maxQueued: '64KiB', maxMessage: '16KiB', rate: 100_000 });
    try {
      const url = `${r.addresses[0]}/slow`;
      const stuck = await WsClient.open(url);
      stuck.ws.pause(); // never reads: its kernel buffers fill, then netecho's queue
      const fine = await WsClient.open(url);
      const pub = await WsClient.open(url);
      await until(() => r.stats.members === 3);
      // Enough to fill the kernel's buffers on loopback (several MiB) and then netecho's queue; in batches that
      // the reader that keeps up has read before the next (client and relay share this process's one thread).
      const n = 2000;
      for (let i = 0; i < n; i++) {
        pub.ws.send(Buffer.alloc(8192, i % 256));
        if (i % 50 === 49) await fine.count(i + 1, 20_000);
      }
      assert.ok(fine.received.every((m, i) => m.data.length === 8192 && m.data[0] === i % 256));
      await until(() => r.stats.closed['slow-consumer'] === 1, 10_000, 'the slow member closed');
      assert.ok(r.stats.messages.dropped['slow-consumer'] >= 1);
      stuck.ws.terminate();
      fine.close();
      pub.close();
    } finally {
      await r.destroy();
    }
  });

  it('policy drop: messages for it are dropped and counted; when it reads again a gap notice says how many', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', maxQueued: '64KiB', maxMessage: '16KiB', slowConsumer: 'drop', rate: 100_000 });
    try {
      const url = `${r.addresses[0]}/dropping`;
      const stuck = await WsClient.open(`${url}?format=json`);
      stuck.ws.pause();
      const pub = await WsClient.open(url);
      await until(() => r.stats.members === 2);
      const n = 2000;
      for (let i = 0; i < n; i++) {
        pub.ws.send(Buffer.alloc(8192, 1));
        if (i % 50 === 49) await until(() => r.stats.messages.published === i + 1, 10_000);
      }
      const dropped = r.stats.messages.dropped['slow-consumer'];
      assert.ok(dropped > 0);
      assert.equal(r.stats.messages.delivered + dropped, n);
      stuck.ws.resume();
      const messages = (): number => stuck.json().filter((m) => m.type === 'message').length;
      await until(() => messages() === n - dropped, 10_000, 'what was queued');
      pub.ws.send('after');
      const gap = await stuck.waitJson((m) => m.type === 'gap');
      assert.equal(gap.missed, dropped);
      await stuck.waitJson((m) => m.data === 'after');
      stuck.close();
      pub.close();
    } finally {
      await r.destroy();
    }
  });
});

describe('relay: property', () => {
  it('random joins, leaves and messages: each receiver gets exactly what a model says, in order', async () => {
    const r = await relay({ listen: 'ws://127.0.0.1:0', rate: 100_000 });
    const url = r.addresses[0] ?? '';
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(fc.constant<'join'>('join'), fc.constant<'leave'>('leave'), fc.constant<'send'>('send')), { minLength: 5, maxLength: 40 }), fc.integer({ min: 0, max: 1000 }), async (ops, seed) => {
          const room = `p${seed}-${Math.random().toString(36).slice(2, 8)}`;
          const sender = await WsClient.open(`${url}/${room}`);
          const clients: Array<{ c: WsClient; expect: string[] }> = [];
          let n = 0;
          for (const op of ops) {
            if (op === 'join') {
              const c = await WsClient.open(`${url}/${room}`);
              await until(() => r.rooms.find((x) => x.room === room)?.members === clients.filter((x) => x.c.closeCode === null).length + 2);
              clients.push({ c, expect: [] });
            } else if (op === 'leave') {
              const open = clients.filter((x) => x.c.closeCode === null);
              const victim = open[seed % Math.max(1, open.length)];
              if (victim !== undefined) {
                victim.c.close();
                await victim.c.closed();
                await until(() => r.rooms.find((x) => x.room === room)?.members === open.length);
              }
            } else {
              const m = `m${n++}`;
              for (const x of clients) if (x.c.closeCode === null) x.expect.push(m);
              sender.ws.send(m);
              // The next op may change membership: let this message reach everyone present first.
              for (const x of clients) if (x.c.closeCode === null) await x.c.count(x.expect.length);
            }
          }
          for (const x of clients) {
            assert.deepEqual(x.c.received.map((m) => m.data.toString()), x.expect);
            x.c.close();
          }
          sender.close();
        }),
        { numRuns: 15 },
      );
    } finally {
      await r.destroy();
    }
  });
});
