import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { serve } from '../../src/index.js';
import { closed, connect, connectOutcome, echoOnce, readBytes, readToEnd, startServer, until } from '../helpers/net.js';

describe('serve()', () => {
  it('listens on several URLs, IPv4 and IPv6, and reports the ports picked for port 0', async () => {
    const server = await serve({ listen: ['tcp://127.0.0.1:0', 'tcp://[::1]:0'] });
    try {
      assert.equal(server.addresses.length, 2);
      assert.match(server.addresses[0] ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.match(server.addresses[1] ?? '', /^tcp:\/\/\[::1\]:\d+$/);
      const v6port = Number(/:(\d+)$/.exec(server.addresses[1] ?? '')?.[1]);
      const socket = await connect(v6port, '::1');
      const reply = readToEnd(socket);
      socket.end('over v6');
      assert.equal((await reply).toString(), 'over v6');
    } finally {
      await server.destroy();
    }
  });

  it('rejects bad options before listening, naming the option', async () => {
    await assert.rejects(serve({ listen: 'tcp://127.0.0.1:0', idleTimeout: 'forever' }), {
      code: 'ERR_NETECHO_INVALID_ARGUMENT',
      message: 'invalid idleTimeout: "forever" (expected a duration such as 500ms, 30s, 5m)',
    });
    await assert.rejects(serve({ listen: 'localhost' }), { code: 'ERR_NETECHO_INVALID_URL' });
    await assert.rejects(serve({ listen: 'tls://127.0.0.1:0' }), {
      code: 'ERR_NETECHO_INVALID_ARGUMENT',
      message: 'tls:// needs a certificate: give tls.cert and tls.key, or tls.selfSigned',
    });
    await assert.rejects(serve({ maxQueued: 10 }), { message: 'invalid maxQueued: 10 bytes (at least 1024)' });
  });

  it('fails with ERR_NETECHO_ADDRESS_IN_USE, and closes the listeners it had opened', async () => {
    const first = await serve({ listen: 'tcp://127.0.0.1:0' });
    try {
      const taken = first.addresses[0] ?? '';
      await assert.rejects(serve({ listen: ['tcp://127.0.0.1:0', taken] }), {
        code: 'ERR_NETECHO_ADDRESS_IN_USE',
        message: `cannot listen on ${taken}: address already in use`,
      });
    } finally {
      await first.destroy();
    }
  });

  it('fails with ERR_NETECHO_ADDRESS_UNAVAILABLE for an address not on this machine', async () => {
    await assert.rejects(serve({ listen: 'tcp://192.0.2.1:0' }), { code: 'ERR_NETECHO_ADDRESS_UNAVAILABLE' });
  });

  it('emits connection and close events with byte counts and reasons', async () => {
    const t = await startServer();
    try {
      const opened = once(t.server, 'connection');
      const closedEvent = once(t.server, 'close');
      await echoOnce(t.port, Buffer.from('12345'));
      const [info] = (await opened) as [{ id: number; transport: string; remoteAddress: string }];
      assert.equal(info.transport, 'tcp');
      assert.equal(info.remoteAddress, '127.0.0.1');
      const [c] = (await closedEvent) as [{ bytesIn: number; bytesOut: number; reason: string; id: number }];
      assert.deepEqual([c.id, c.bytesIn, c.bytesOut, c.reason], [info.id, 5, 5, 'client-closed']);
      assert.equal(t.server.stats.accepted, 1);
    } finally {
      await t.server.destroy();
    }
  });
});

describe('EchoServer#close (drain)', () => {
  it('refuses new connections at once, keeps serving open ones until they half-close, then resolves', async () => {
    const t = await startServer();
    const client = await connect(t.port);
    client.write('before ');
    assert.equal((await readBytes(client, 7)).toString(), 'before ');
    const draining = once(t.server, 'draining');
    const closing = t.server.close({ drainTimeout: '10s' });
    await draining;
    await until(() => true); // one turn: the listener is closed
    assert.equal(await connectOutcome(t.port), 'ECONNREFUSED');
    // The open client keeps streaming, then half-closes: every byte comes back.
    const rest = readToEnd(client);
    client.write('during ');
    client.end('drain');
    assert.equal((await rest).toString(), 'during drain');
    await closing;
    assert.equal(t.server.connections, 0);
    assert.equal(t.server.stats.closed['client-closed'], 1);
  });

  it('at the deadline, writes back what was read and closes the rest', async () => {
    const t = await startServer();
    const client = await connect(t.port);
    client.write('kept open');
    assert.equal((await readBytes(client, 9)).toString(), 'kept open');
    const ended = once(client, 'end');
    const start = Date.now();
    await t.server.close({ drainTimeout: '200ms' });
    await ended; // the server half-closed us
    assert.ok(Date.now() - start >= 190, 'waited for the deadline');
    assert.equal(t.server.stats.closed['drain-deadline'], 1);
    client.destroy();
  });

  it('close() twice with drainTimeout 0 ends the drain now; destroy() closes at once', async () => {
    const t = await startServer();
    const client = await connect(t.port);
    await until(() => t.server.connections === 1);
    const first = t.server.close({ drainTimeout: '1h' });
    const second = t.server.close({ drainTimeout: 0 });
    assert.equal(first, second);
    client.end();
    await first;
    await closed(client);

    const u = await startServer();
    const c2 = await connect(u.port);
    await until(() => u.server.connections === 1);
    await u.server.destroy();
    await closed(c2);
    assert.equal(u.server.stats.closed['server-destroyed'], 1);
  });

  it('ends by its deadline: a client that neither reads nor closes is finished before it and closed at it', async () => {
    const t = await startServer();
    const client = await connect(t.port);
    client.pause(); // never reads
    await until(() => t.server.connections === 1);
    const deadline = once(t.server, 'deadline');
    const start = performance.now();
    await t.server.close({ drainTimeout: '1s' });
    const ms = performance.now() - start;
    const [info] = (await deadline) as [{ connections: number; flushMs: number }];
    assert.deepEqual(info, { connections: 1, flushMs: 250 });
    assert.ok(ms >= 990 && ms < 1500, `closed after ${Math.round(ms)} ms, not by the 1 s deadline`);
    assert.equal(t.server.stats.closed['drain-deadline'], 1);
    client.destroy();
  });

  it('destroy() during a drain counts its closes as server-destroyed, not drain-deadline', async () => {
    const t = await startServer();
    const client = await connect(t.port);
    await until(() => t.server.connections === 1);
    const closing = t.server.close({ drainTimeout: '10s' });
    await t.server.destroy();
    await closing;
    await closed(client);
    assert.deepEqual([t.server.stats.closed['server-destroyed'], t.server.stats.closed['drain-deadline']], [1, 0]);
  });

  it('the library default drain is short: close() with a client left open resolves within about a second', async () => {
    const t = await startServer();
    assert.equal(t.server.limits.drainTimeoutMs, 1000);
    const client = await connect(t.port);
    client.pause();
    await until(() => t.server.connections === 1);
    const start = performance.now();
    await t.server.close();
    assert.ok(performance.now() - start < 1500);
    client.destroy();
  });
});
