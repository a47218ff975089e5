import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ping, send, serve, type EchoServer } from '../../src/index.js';
import { until } from '../helpers/net.js';

interface Message {
  data: Buffer;
  isBinary: boolean;
}

async function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  return ws;
}

function nextMessage(ws: WebSocket): Promise<Message> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
}

describe('WebSocket echo', () => {
  let server: EchoServer;
  let url: string;
  before(async () => {
    server = await serve({ listen: 'ws://127.0.0.1:0', websocket: { maxMessage: '64KiB' } });
    url = server.addresses[0] ?? '';
  });
  after(() => server.destroy());

  it('sends each message back with its own type: text stays text, binary stays binary', async () => {
    const ws = await open(url);
    try {
      ws.send('Hello, World!');
      const text = await nextMessage(ws);
      assert.equal(text.isBinary, false);
      assert.equal(text.data.toString(), 'Hello, World!');
      const bytes = randomBytes(50_000);
      ws.send(bytes);
      const bin = await nextMessage(ws);
      assert.equal(bin.isBinary, true);
      assert.ok(bin.data.equals(bytes));
      ws.send(Buffer.alloc(0));
      assert.equal((await nextMessage(ws)).data.length, 0);
      assert.equal(ws.extensions, '', 'permessage-deflate is off by default');
    } finally {
      ws.close();
    }
  });

  it('echoes a message sent in many fragments as one message', async () => {
    const ws = await open(url);
    try {
      const parts = Array.from({ length: 100 }, (_, i) => Buffer.from(`part${i};`));
      parts.forEach((p, i) => ws.send(p, { fin: i === parts.length - 1, binary: true }));
      const m = await nextMessage(ws);
      assert.ok(m.data.equals(Buffer.concat(parts)));
    } finally {
      ws.close();
    }
  });

  it('property: however a message is split into fragments, it comes back whole and alike', async () => {
    const ws = await open(url);
    try {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4000 }), fc.array(fc.nat(4000), { maxLength: 12 }), fc.boolean(), async (bytes, cuts, binary) => {
          const data = binary ? Buffer.from(bytes) : Buffer.from(Buffer.from(bytes).toString('base64'));
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const parts: Buffer[] = [];
          let at = 0;
          for (const p of points) {
            parts.push(data.subarray(at, p));
            at = p;
          }
          parts.push(data.subarray(at));
          const reply = nextMessage(ws);
          parts.forEach((part, i) => ws.send(part, { fin: i === parts.length - 1, binary }));
          const m = await reply;
          assert.equal(m.isBinary, binary);
          assert.ok(m.data.equals(data));
        }),
        { numRuns: 60 },
      );
    } finally {
      ws.close();
    }
  });

  it('closes with 1009 on a message above the limit, also when it comes in fragments', async () => {
    const before = server.stats.closed['message-too-big'];
    const ws = await open(url);
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (c: number, r: Buffer) => resolve([c, r.toString()])));
    ws.send(Buffer.alloc(64 * 1024 + 1));
    assert.deepEqual(await closed, [1009, 'message too big']);
    const ws2 = await open(url);
    const code2 = closeCode(ws2);
    for (let i = 0; i < 100; i++) ws2.send(Buffer.alloc(1024), { fin: false, binary: true });
    assert.equal(await code2, 1009);
    await until(() => server.stats.closed['message-too-big'] === before + 2, 5000, 'the closes counted');
  });

  it('too many fragments: 1,000 empty ones are fine, more than 16,384 close with 1008', async () => {
    const ws = await open(url);
    try {
      for (let i = 0; i < 1000; i++) ws.send('', { fin: false });
      ws.send('end', { fin: true });
      const m = await nextMessage(ws);
      assert.equal(m.isBinary, false);
      assert.equal(m.data.toString(), 'end');
    } finally {
      ws.close();
    }
    const before = server.stats.closed['protocol-error'];
    const flood = await open(url);
    const code = closeCode(flood);
    for (let i = 0; i < 20_000; i++) flood.send('', { fin: false });
    assert.equal(await code, 1008);
    await until(() => server.stats.closed['protocol-error'] === before + 1, 5000, 'the close counted');
  });

  it('closes with 1007 on invalid UTF-8 in a text message', async () => {
    const ws = await open(url);
    const code = closeCode(ws);
    ws.send(Buffer.from([0x48, 0xc3, 0x28]), { binary: false });
    assert.equal(await code, 1007);
  });

  it('answers a plain HTTP request with 426 JSON, and a bad upgrade with 400', async () => {
    const http = url.replace('ws://', 'http://');
    const res = await fetch(http);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await res.json(), { error: 'this endpoint speaks WebSocket: connect with a WebSocket client' });
    const port = Number(url.slice(url.lastIndexOf(':') + 1));
    const raw = net.connect({ port, host: '127.0.0.1' });
    raw.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    await once(raw, 'close');
    assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 400 /);
  });

  it('send() and ping() over ws://', async () => {
    const r = await send(url, 'Hello, WebSocket!');
    assert.equal(r.echo.toString(), 'Hello, WebSocket!');
    const summary = await ping(url, { count: 3, interval: '10ms' });
    assert.equal(summary.received, 3);
    assert.equal(summary.lost, 0);
  });

  it('a refused upgrade is ERR_NETECHO_PROTOCOL, a close code 1009 too', async () => {
    const strict = await serve({ listen: 'ws://127.0.0.1:0', websocket: { origins: ['https://good.example'], maxMessage: 16 } });
    try {
      const u = strict.addresses[0] ?? '';
      await assert.rejects(send(u, 'x'), { code: 'ERR_NETECHO_PROTOCOL', message: `${u} refused the WebSocket upgrade: HTTP 403 Forbidden` });
      const ok = await open(u, { origin: 'https://good.example' });
      const code = closeCode(ok);
      ok.send('more than sixteen bytes');
      assert.equal(await code, 1009);
      const bad = new WebSocket(u, { origin: 'https://evil.example' });
      bad.on('error', () => {});
      const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(res.statusCode, 403);
      bad.terminate();
    } finally {
      await strict.destroy();
    }
  });

  it('drops a client that does not answer pings (heartbeat)', async () => {
    const hb = await serve({ listen: 'ws://127.0.0.1:0', websocket: { heartbeat: '100ms' } });
    try {
      const reasons: string[] = [];
      hb.on('close', (c) => reasons.push(c.reason));
      const answering = await open(hb.addresses[0] ?? '');
      const silent = await open(hb.addresses[0] ?? '', { autoPong: false });
      const code = closeCode(silent);
      assert.equal(await code, 1006, 'terminated, no close frame');
      assert.equal(answering.readyState, WebSocket.OPEN, 'the client that answers pings stays');
      await until(() => reasons.length === 1, 5000, 'the close event');
      assert.deepEqual(reasons, ['heartbeat-timeout']);
      answering.close();
    } finally {
      await hb.destroy();
    }
  });

  it('on drain, closes open WebSockets with 1001 at the deadline', async () => {
    const d = await serve({ listen: 'ws://127.0.0.1:0' });
    const ws = await open(d.addresses[0] ?? '');
    const code = closeCode(ws);
    await d.close({ drainTimeout: '50ms' });
    assert.equal(await code, 1001);
  });

  it('a client that never reads: the server stops reading from it, then closes it with send-stall', async () => {
    const d = await serve({ listen: 'ws://127.0.0.1:0', maxQueued: '64KiB', sendStallTimeout: '300ms' });
    try {
      const reasons: string[] = [];
      d.on('close', (c) => reasons.push(c.reason));
      const ws = await open(d.addresses[0] ?? '');
      ws.pause(); // stop reading the echoes
      const chunk = Buffer.alloc(16 * 1024);
      let sent = 0;
      ws.on('error', () => {});
      // Write until the server stops reading (our own queue grows) or 64 MiB, whichever first.
      while (sent < 64 * 1024 * 1024 && ws.readyState === WebSocket.OPEN) {
        ws.send(chunk);
        sent += chunk.length;
        if (ws.bufferedAmount > 4 * 1024 * 1024) break;
        if (sent % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
      }
      assert.ok(ws.bufferedAmount > 0 || ws.readyState !== WebSocket.OPEN, 'the server stopped reading');
      await until(() => reasons.length === 1, 10_000, 'the close');
      assert.deepEqual(reasons, ['send-stall']);
      ws.terminate();
    } finally {
      await d.destroy();
    }
  });

  it('--describe sends one text message about the connection first', async () => {
    const d = await serve({ listen: 'ws://127.0.0.1:0', describe: true });
    try {
      // The first message can arrive with the upgrade response: listen before 'open'.
      const ws = new WebSocket(d.addresses[0] ?? '');
      const firstMessage = nextMessage(ws);
      await once(ws, 'open');
      const first = await firstMessage;
      const description = JSON.parse(first.data.toString()) as { transport: string; client: { address: string }; tls: unknown };
      assert.equal(description.transport, 'ws');
      assert.equal(description.client.address, '127.0.0.1');
      assert.equal(description.tls, null);
      ws.close();
    } finally {
      await d.destroy();
    }
  });

  it('--ws-deflate offers permessage-deflate', async () => {
    const d = await serve({ listen: 'ws://127.0.0.1:0', websocket: { deflate: true } });
    try {
      const ws = await open(d.addresses[0] ?? '', { perMessageDeflate: true });
      assert.match(ws.extensions, /permessage-deflate/);
      ws.send('compress me '.repeat(100));
      assert.equal((await nextMessage(ws)).data.toString(), 'compress me '.repeat(100));
      ws.close();
    } finally {
      await d.destroy();
    }
  });
});

describe('wss://', () => {
  it('WebSocket echo inside TLS, trusted through the self-signed certificate', async () => {
    const server = await serve({ listen: 'wss://127.0.0.1:0', tls: { selfSigned: true } });
    try {
      const u = server.addresses[0] ?? '';
      const r = await send(u, 'secure hello', { tls: { ca: server.certificate?.pem ?? '' } });
      assert.equal(r.echo.toString(), 'secure hello');
      await assert.rejects(send(u, 'x'), { code: 'ERR_NETECHO_TLS' });
    } finally {
      await server.destroy();
    }
  });
});
