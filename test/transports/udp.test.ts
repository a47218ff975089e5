import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ping, send, serve, type EchoServer } from '../../src/index.js';
import { isGroupAddress } from '../../src/transports/udp.js';
import { until } from '../helpers/net.js';
import { runCli } from '../helpers/cli.js';
import { missing, runTool, runToolUntil } from '../helpers/peers.js';

function portOf(url: string): number {
  return Number(url.slice(url.lastIndexOf(':') + 1));
}

/** A client socket bound to `localPort` (0 = any). */
async function udpClient(localPort = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(localPort, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** Send datagrams one at a time and collect each reply (or null after waitMs). */
async function exchange(client: dgram.Socket, port: number, data: Buffer, waitMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      resolve(null);
    }, waitMs);
    const onMessage = (msg: Buffer): void => {
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve(msg);
    };
    client.on('message', onMessage);
    client.send(data, port, '127.0.0.1');
  });
}

describe('UDP echo', () => {
  let server: EchoServer;
  let port: number;
  before(async () => {
    server = await serve({ listen: 'udp://127.0.0.1:0', udp: { rate: 100_000 } });
    port = portOf(server.addresses[0] ?? '');
  });
  after(() => server.destroy());

  it('answers each datagram with exactly its bytes: never larger than the request', async () => {
    const client = await udpClient();
    try {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2000 }), async (bytes) => {
          const reply = await exchange(client, port, Buffer.from(bytes));
          assert.ok(reply !== null);
          assert.equal(reply.length, bytes.length);
          assert.ok(reply.equals(Buffer.from(bytes)));
        }),
        { numRuns: 50 },
      );
      const big = randomBytes(65_507);
      const reply = await exchange(client, port, big);
      assert.ok(reply?.equals(big));
    } finally {
      client.close();
    }
  });

  it('counts datagrams received and echoed', async () => {
    const before = server.stats.datagrams;
    const client = await udpClient();
    try {
      for (let i = 0; i < 5; i++) assert.ok(await exchange(client, port, Buffer.from(`n${i}`)));
    } finally {
      client.close();
    }
    const after = server.stats.datagrams;
    assert.equal(after.received - before.received, 5);
    assert.equal(after.echoed - before.echoed, 5);
    assert.equal(after.bytes - before.bytes, 10);
  });

  it('does not answer a spoofed source port 7 or 19 (echo/chargen loops)', { skip: process.getuid?.() === 0 ? false : 'binding port 7 needs root' }, async () => {
    const dropsBefore = server.stats.datagrams.dropped['low-port'];
    for (const lowPort of [7, 19]) {
      const client = await udpClient(lowPort);
      try {
        assert.equal(await exchange(client, port, Buffer.from('loop?'), 300), null);
      } finally {
        client.close();
      }
    }
    assert.equal(server.stats.datagrams.dropped['low-port'] - dropsBefore, 2);
  });

  it('send() over udp:// reports the echo; ping() over udp:// counts every reply', async () => {
    const r = await send(`udp://127.0.0.1:${port}`, 'Hello, UDP!');
    assert.equal(r.echo.toString(), 'Hello, UDP!');
    assert.equal(r.attempts, 1);
    assert.equal(r.lost, 0);
    const summary = await ping(`udp://127.0.0.1:${port}`, { count: 5, interval: '10ms' });
    assert.equal(summary.sent, 5);
    assert.equal(summary.received, 5);
    assert.equal(summary.lost, 0);
  });

  it('socat as a UDP client gets its bytes back', { skip: missing('socat') }, async () => {
    const r = await runTool('socat', ['-t', '2', '-T', '2', '-', `UDP:127.0.0.1:${port}`], 'Hello, World!\n');
    assert.equal(r.stdout.toString(), 'Hello, World!\n');
  });

  it('ncat --udp as a client gets its bytes back', { skip: missing('ncat') }, async () => {
    // ncat exits at the end of its input, before a reply could come: keep stdin open until the echo is in.
    const r = await runToolUntil('ncat', ['--udp', '127.0.0.1', String(port)], 'ncat datagram\n', (o) => o.length >= 14);
    assert.equal(r.stdout.toString(), 'ncat datagram\n');
  });
});

describe('UDP rate cap', () => {
  it('answers at most udp.rate datagrams a second per source; the rest are dropped and counted', async () => {
    const server = await serve({ listen: 'udp://127.0.0.1:0', udp: { rate: 10 } });
    const port = portOf(server.addresses[0] ?? '');
    const client = await udpClient();
    let replies = 0;
    client.on('message', () => replies++);
    try {
      for (let i = 0; i < 50; i++) client.send(Buffer.from([i]), port, '127.0.0.1');
      await until(() => server.stats.datagrams.received === 50, 5000, 'all 50 datagrams received');
      const d = server.stats.datagrams;
      // A burst of 10, plus what refills while 50 datagrams arrive (a few at most, even on a slow machine).
      assert.ok(d.echoed >= 10 && d.echoed <= 15, `echoed ${d.echoed}`);
      assert.equal(d.dropped['rate-limited'], 50 - d.echoed);
      await until(() => replies === d.echoed, 2000, 'the replies');
      // ping() over UDP reports the loss it sees.
      const summary = await ping(`udp://127.0.0.1:${port}`, { count: 30, interval: '1ms', timeout: '300ms' });
      assert.equal(summary.sent, 30);
      assert.ok(summary.lost > 0, 'some probes lost to the cap');
      assert.equal(summary.received + summary.lost, 30);
    } finally {
      client.close();
      await server.destroy();
    }
  });

  it('netecho send over udp:// says how many datagrams were lost before the answer', async () => {
    // A server that ignores the first datagram and echoes the second.
    const flaky = dgram.createSocket('udp4');
    let seen = 0;
    flaky.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (++seen >= 2) flaky.send(msg, rinfo.port, rinfo.address);
    });
    flaky.bind(0, '127.0.0.1');
    await once(flaky, 'listening');
    try {
      const r = await runCli(['send', `udp://127.0.0.1:${flaky.address().port}`, 'again', '--timeout', '100ms']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'Send: again\nReceived: again\n');
      assert.equal(r.stderr, 'netecho: 1 of 2 datagrams lost (answered on attempt 2)\n');
    } finally {
      flaky.close();
    }
  });

  it('send() over udp:// retries, then fails with ERR_NETECHO_TIMEOUT naming the attempts', async () => {
    // A UDP socket that never answers.
    const silent = await udpClient();
    const port = silent.address().port;
    try {
      await assert.rejects(send(`udp://127.0.0.1:${port}`, 'anyone?', { timeout: '50ms', retries: 2 }), {
        code: 'ERR_NETECHO_TIMEOUT',
        message: `no reply from udp://127.0.0.1:${port} after 3 datagram(s), 50 ms each (all lost)`,
      });
    } finally {
      silent.close();
    }
  });
});

describe('isGroupAddress', () => {
  it('multicast, broadcast and unspecified sources are never answered', () => {
    const b = new Set(['192.168.1.255']);
    for (const a of ['224.0.0.1', '239.255.255.250', '255.255.255.255', '0.0.0.0', '192.168.1.255', 'ff02::1', '::', '::ffff:224.0.0.1']) {
      assert.equal(isGroupAddress(a, b), true, a);
    }
    for (const a of ['127.0.0.1', '192.168.1.7', '::1', '2001:db8::1', '::ffff:127.0.0.1']) assert.equal(isGroupAddress(a, b), false, a);
  });
});
