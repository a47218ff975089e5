import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { closed, connect, connectOutcome, echoOnce, fdCount, readBytes, readToEnd, startServer, until, type TestServer } from '../helpers/net.js';

describe('TCP echo', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.server.destroy());

  it(`takes the fast path (onread on the adopted handle) on this Node, ${process.version}: no fallback warning`, async () => {
    const warnings: Error[] = [];
    const s = await startServer();
    s.server.on('warning', (w) => warnings.push(w));
    try {
      assert.deepEqual(await echoOnce(s.port, Buffer.from('fast')), Buffer.from('fast'));
      await until(() => s.server.stats.closed['client-closed'] === 1);
      assert.deepEqual(warnings.map((w) => w.message), []);
    } finally {
      await s.server.destroy();
    }
  });

  it('echoes every byte of a binary message, then ends after the half-close', async () => {
    const data = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
    assert.deepEqual(await echoOnce(t.port, data), data);
  });

  it('half-close: N bytes in, exactly N bytes back, then end of stream', async () => {
    const socket = await connect(t.port);
    const reply = readToEnd(socket);
    const data = randomBytes(100_000);
    socket.write(data.subarray(0, 40_000));
    socket.end(data.subarray(40_000));
    const got = await reply;
    assert.equal(got.length, 100_000);
    assert.ok(got.equals(data));
    await closed(socket);
  });

  it('gives each of 1,000 concurrent clients exactly its own bytes back', async () => {
    const clients = Array.from({ length: 1000 }, () => randomBytes(1 + Math.floor(Math.random() * 4096)));
    const echoes = await Promise.all(clients.map((data) => echoOnce(t.port, data)));
    let mismatches = 0;
    for (const [i, echo] of echoes.entries()) if (!echo.equals(clients[i] as Buffer)) mismatches++;
    assert.equal(mismatches, 0);
  });

  it('brings a 50 MiB stream back intact (same SHA-256)', async () => {
    const socket = await connect(t.port);
    const sentHash = createHash('sha256');
    const gotHash = createHash('sha256');
    let received = 0;
    socket.on('data', (c: Buffer) => {
      gotHash.update(c);
      received += c.length;
    });
    const ended = once(socket, 'end');
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < 50; i++) {
      block.writeUInt32BE(i, 0); // every MiB differs
      const copy = Buffer.from(block);
      sentHash.update(copy);
      if (!socket.write(copy)) await once(socket, 'drain');
    }
    socket.end();
    await ended;
    assert.equal(received, 50 * 1024 * 1024);
    assert.equal(gotHash.digest('hex'), sentHash.digest('hex'));
    await closed(socket);
  });

  it('large messages over more connections than there are lent read buffers, some read late: every byte back in order', async () => {
    // 80 connections > MAX_LOANS (64), 64 KiB messages: some read from lent buffers, some from the shared one. One
    // in eight sends 10 MiB without reading until its own writes back up (more than the kernel buffers hold), so
    // the server's writes go asynchronous and the lent buffers they came from must not be read into again before
    // they are written.
    const results = await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const late = i % 8 === 0;
        const count = late ? 160 : 16;
        const socket = await connect(t.port);
        const sent = createHash('sha256');
        const got = createHash('sha256');
        let received = 0;
        const total = count * 65536;
        const done = new Promise<void>((resolve, reject) => {
          socket.on('data', (c: Buffer) => {
            got.update(c);
            received += c.length;
            if (received === total) resolve();
          });
          socket.on('error', reject);
        });
        if (late) socket.pause();
        for (let k = 0; k < count; k++) {
          const chunk = randomBytes(65536);
          sent.update(chunk);
          if (!socket.write(chunk)) {
            socket.resume();
            await once(socket, 'drain');
          }
        }
        socket.resume();
        await done;
        socket.destroy();
        return sent.digest('hex') === got.digest('hex') && received === total;
      }),
    );
    assert.equal(results.filter((ok) => !ok).length, 0);
  });

  it('random chunking of the input never changes the echo (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { minLength: 1, maxLength: 20 }), async (chunks) => {
        const socket = await connect(t.port);
        const reply = readToEnd(socket);
        for (const c of chunks) socket.write(c);
        socket.end();
        const got = await reply;
        assert.ok(got.equals(Buffer.concat(chunks)));
        await closed(socket);
      }),
      { numRuns: 40 },
    );
  });

  it('survives clients that reset mid-stream, leaking no file descriptor', async () => {
    await echoOnce(t.port, Buffer.from('warm up'));
    await until(() => t.server.connections === 0, 5000, 'idle server');
    const before = fdCount();
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(t.port)));
    for (const s of sockets) s.write(randomBytes(200_000));
    // Wait until the server has started echoing to each, then reset them all.
    await Promise.all(sockets.map((s) => readBytes(s, 1)));
    for (const s of sockets) s.resetAndDestroy();
    await until(() => t.server.connections === 0, 5000, 'server to see every reset');
    assert.equal(fdCount(), before);
    assert.ok(t.server.stats.closed['client-reset'] >= 1);
    // and it still echoes
    assert.equal((await echoOnce(t.port, Buffer.from('still here'))).toString(), 'still here');
  });
});

describe('TCP limits', () => {
  it('caps total connections: the excess is reset at once and counted', async () => {
    const t = await startServer({ maxConnections: 5 });
    try {
      const held = await Promise.all(Array.from({ length: 5 }, () => connect(t.port)));
      await until(() => t.server.connections === 5);
      const results = await Promise.all(Array.from({ length: 3 }, () => connectOutcome(t.port)));
      assert.deepEqual(results, ['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
      assert.equal(t.server.stats.refused['max-connections'], 3);
      assert.equal(t.server.connections, 5);
      // The clients already connected are still served.
      held[0]?.write('ok');
      assert.equal((await readBytes(held[0]!, 2)).toString(), 'ok');
      for (const s of held) s.destroy();
    } finally {
      await t.server.destroy();
    }
  });

  it('caps connections per client IP, independently for another IP', async () => {
    const t = await startServer({ maxConnectionsPerIp: 2 });
    try {
      const a = await Promise.all([connect(t.port), connect(t.port)]);
      assert.equal(await connectOutcome(t.port), 'ECONNRESET');
      assert.equal(t.server.stats.refused['max-connections-per-ip'], 1);
      // 127.0.0.2 is another client IP on the loopback.
      const other = await import('node:net').then(
        (net) =>
          new Promise<import('node:net').Socket>((resolve, reject) => {
            const s = net.connect({ port: t.port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => resolve(s));
            s.once('error', reject);
          }),
      );
      other.end('x');
      assert.equal((await readToEnd(other)).toString(), 'x');
      for (const s of [...a, other]) s.destroy();
    } finally {
      await t.server.destroy();
    }
  });

  it('closes a connection idle for --idle-timeout, with reason idle-timeout', async () => {
    const t = await startServer({ idleTimeout: '200ms' });
    try {
      const s = await connect(t.port);
      const closeInfo = once(t.server, 'close');
      await readToEnd(s); // the server ends it
      const [info] = (await closeInfo) as [{ reason: string }];
      assert.equal(info.reason, 'idle-timeout');
      s.destroy();
    } finally {
      await t.server.destroy();
    }
  });

  it('does not close a connection that trickles bytes more often than the idle timeout', async () => {
    const t = await startServer({ idleTimeout: '150ms' });
    try {
      const s = await connect(t.port);
      let echoed = 0;
      s.on('data', (c: Buffer) => (echoed += c.length));
      for (let i = 0; i < 12; i++) {
        s.write('.');
        await until(() => echoed === i + 1, 2000, 'echo');
        await new Promise((r) => setTimeout(r, 40)); // the pacing under test, not synchronisation
      }
      assert.equal(t.server.connections, 1);
      assert.equal(t.server.stats.closed['idle-timeout'], 0);
      s.end();
      await closed(s);
    } finally {
      await t.server.destroy();
    }
  });

  it('a client that never reads: reading stops at the queue limit, it is closed after the stall timeout, others unaffected', async () => {
    const t = await startServer({ maxQueued: '64KiB', sendStallTimeout: '300ms' });
    try {
      const hog = await connect(t.port);
      hog.pause(); // never reads
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, 7);
      let hogClosed = false;
      hog.on('error', () => {});
      hog.on('close', () => {
        hogClosed = true;
      });
      // Write until the kernel and the server push back; bounded at 256 MiB.
      const pump = (async () => {
        while (!hogClosed && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!hog.write(chunk)) {
            const r = await Promise.race([
              once(hog, 'drain').then(() => 'drain', () => 'close'),
              once(hog, 'close').then(() => 'close'),
            ]);
            if (r === 'close') break;
          }
        }
      })();
      const info = (await once(t.server, 'close')) as [{ reason: string; bytesIn: number }];
      assert.equal(info[0].reason, 'send-stall');
      // The server read far less than the hog wrote: it stopped reading instead of buffering.
      assert.ok(info[0].bytesIn < 32 * 1024 * 1024, `server read ${info[0].bytesIn} bytes`);
      hog.destroy();
      await pump;
      // Another client is served normally.
      assert.equal((await echoOnce(t.port, Buffer.from('fine'))).toString(), 'fine');
    } finally {
      await t.server.destroy();
    }
  });
});
