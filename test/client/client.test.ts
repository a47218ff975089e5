import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ping, send, sendStream, type PingReply } from '../../src/index.js';
import { rawServer, startServer, type TestServer } from '../helpers/net.js';

describe('send()', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.server.destroy());

  it('returns the whole echo of a message larger than one read', async () => {
    const msg = randomBytes(300_000);
    const r = await send(t.url, msg, { verify: true });
    assert.ok(r.echo.equals(msg));
    assert.equal(r.bytesSent, 300_000);
    assert.equal(r.match, true);
    assert.ok(r.rttMs > 0 && r.connectMs > 0);
  });

  it('handles an empty message (the server half-closes back)', async () => {
    const r = await send(t.url, '');
    assert.equal(r.echo.length, 0);
  });

  it('rejects bad input before connecting', async () => {
    await assert.rejects(send('tcp://127.0.0.1:0', 'x'), { code: 'ERR_NETECHO_INVALID_URL' });
    await assert.rejects(send(t.url, 'x', { timeout: 'soon' }), { code: 'ERR_NETECHO_INVALID_ARGUMENT', message: /invalid timeout/ });
    await assert.rejects(send('http://127.0.0.1:1', 'x'), { code: 'ERR_NETECHO_UNSUPPORTED_SCHEME' });
  });
});

describe('sendStream()', () => {
  it('streams a readable through the server into a writable, and counts', async () => {
    const t = await startServer();
    try {
      const data = randomBytes(1024 * 1024);
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const r = await sendStream(t.url, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), out, { verify: true });
      assert.deepEqual([r.bytesSent, r.bytesReceived], [data.length, data.length]);
      assert.ok(Buffer.concat(chunks).equals(data));
    } finally {
      await t.server.destroy();
    }
  });

  it('fails with ERR_NETECHO_ECHO_MISMATCH under verify when the echo differs', async () => {
    const flip = await rawServer((s) => {
      s.on('data', (c: Buffer) => s.write(Buffer.from(c.map((b) => b ^ 1))));
      s.on('end', () => s.end());
    });
    try {
      await assert.rejects(sendStream(flip.url, Readable.from([Buffer.from('abc')]), new PassThrough(), { verify: true }), {
        code: 'ERR_NETECHO_ECHO_MISMATCH',
        message: `echo from ${flip.url} differs from what was sent at byte 0`,
      });
    } finally {
      await flip.close();
    }
  });
});

describe('ping()', () => {
  it('times each round trip and summarises', async () => {
    const t = await startServer();
    try {
      const replies: PingReply[] = [];
      const s = await ping(t.url, { count: 4, interval: '5ms', onReply: (r) => replies.push(r) });
      assert.deepEqual(
        replies.map((r) => r.seq),
        [1, 2, 3, 4],
      );
      assert.deepEqual([s.sent, s.received, s.lost, s.lossPercent, s.error], [4, 4, 0, 0, null]);
      assert.ok(s.rtt !== null && s.rtt.min <= s.rtt.avg && s.rtt.avg <= s.rtt.max && s.rtt.stddev >= 0);
    } finally {
      await t.server.destroy();
    }
  });

  it('counts a reply that never comes as lost, and a late one not as received', async () => {
    // Echoes every other message only after the next one arrives... and never the last.
    let n = 0;
    const lazy = await rawServer((s) => {
      let held: Buffer | null = null;
      s.on('data', (c: Buffer) => {
        n++;
        if (n === 2) held = c; // hold message 2
        else s.write(c);
        if (n === 3 && held) s.write(held); // would reorder bytes: so never release it
        held = n === 3 ? null : held;
      });
    });
    try {
      const replies: PingReply[] = [];
      const s = await ping(lazy.url, { count: 2, interval: '5ms', timeout: '150ms', message: 'x', onReply: (r) => replies.push(r) });
      assert.deepEqual([s.sent, s.received, s.lost], [2, 1, 1]);
      assert.equal(replies.find((r) => r.seq === 2)?.rttMs, null);
      assert.equal(s.lossPercent, 50);
    } finally {
      await lazy.close();
    }
  });

  it('stops on abort and reports a server that closes part way in summary.error', async () => {
    const t = await startServer();
    try {
      const ac = new AbortController();
      const s = await ping(t.url, {
        interval: '5ms',
        signal: ac.signal,
        onReply: (r) => {
          if (r.seq === 3) ac.abort();
        },
      });
      assert.equal(s.sent, 3);
      assert.equal(s.received, 3);
    } finally {
      await t.server.destroy();
    }
    const rude = await rawServer((s) => s.once('data', (c: Buffer) => s.end(c)));
    try {
      const s = await ping(rude.url, { count: 5, interval: '5ms' });
      assert.equal(s.received, 1);
      assert.equal(s.error?.code, 'ERR_NETECHO_CONNECTION_CLOSED');
    } finally {
      await rude.close();
    }
  });
});
