import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { get } from '../../src/index.js';
import { parseRetryAfter, retryDelay } from '../../src/http-client/retry.js';
import { proxyFromEnv } from '../../src/http-client/options.js';
import { missing } from '../helpers/peers.js';
import { makePki, type Pki } from '../helpers/pki.js';

/** A small JSON API with the cases the tests need. */
async function apiServer(): Promise<{ base: string; server: http.Server; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.pathname + (url.searchParams.get('id') ?? '');
    const n = (hits.get(key) ?? 0) + 1;
    hits.set(key, n);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case '/events':
        return json(200, [{ id: 1, type: 'PushEvent', public: true, payload: null }]);
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('plain text\n');
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(Buffer.from([0, 1, 2, 255]));
      case '/redirect': {
        const left = Number(url.searchParams.get('n') ?? '0');
        if (left === 0) return json(200, { arrived: true });
        res.writeHead(302, { location: `/redirect?n=${left - 1}` });
        return res.end();
      }
      case '/flaky':
        if (n <= 2) return json(503, { error: 'try again' });
        return json(200, { ok: true, attempt: n });
      case '/reset':
        if (n <= 2) return req.socket.destroy();
        return json(200, { ok: true, attempt: n });
      case '/limited':
        if (n === 1) return json(429, { error: 'slow down' }, { 'retry-after': '1' });
        return json(200, { ok: true });
      case '/never':
        return; // never answers
      case '/echo': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => json(200, { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() }));
        return;
      }
      default:
        return json(404, { error: 'not found' });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    base,
    server,
    hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('get()', () => {
  let api: Awaited<ReturnType<typeof apiServer>>;
  before(async () => {
    api = await apiServer();
  });
  after(() => api.close());

  it('fetches a JSON API: status, headers, body, json()', async () => {
    const res = await get(`${api.base}/events`);
    assert.equal(res.status, 200);
    assert.equal(res.statusText, 'OK');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json(), [{ id: 1, type: 'PushEvent', public: true, payload: null }]);
    assert.equal(res.attempts, 1);
    assert.deepEqual(res.redirects, []);
  });

  it('times each phase from the connection events: all >= 0, in order, adding up to the total', async () => {
    const res = await get(`${api.base}/events`);
    const t = res.timing;
    for (const v of [t.dnsMs, t.connectMs, t.tlsMs, t.firstByteMs, t.transferMs]) assert.ok(v >= 0);
    assert.equal(t.dnsMs, 0, 'an IP address needs no lookup');
    assert.equal(t.tlsMs, 0, 'no TLS over http');
    assert.ok(t.connectMs > 0);
    const sum = t.dnsMs + t.connectMs + t.tlsMs + t.firstByteMs + t.transferMs;
    assert.ok(Math.abs(sum - t.totalMs) < 0.01, `${sum} vs ${t.totalMs}`);
    assert.equal(t.remoteAddress, '127.0.0.1');
    assert.equal(t.remotePort, Number(new URL(api.base).port));
    assert.equal(t.reused, false);
  });

  it('follows a redirect chain and keeps it; stops at maxRedirects', async () => {
    const res = await get(`${api.base}/redirect?n=3`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { arrived: true });
    assert.deepEqual(
      res.redirects.map((h) => [h.status, h.url]),
      [
        [302, `${api.base}/redirect?n=3`],
        [302, `${api.base}/redirect?n=2`],
        [302, `${api.base}/redirect?n=1`],
      ],
    );
    assert.equal(res.url, `${api.base}/redirect?n=0`);
    const stopped = await get(`${api.base}/redirect?n=3`, { maxRedirects: 1 });
    assert.equal(stopped.status, 302);
    assert.equal(stopped.redirects.length, 1);
    assert.equal(stopped.headers.location, '/redirect?n=1');
  });

  it('retries a server that fails twice (503), then succeeds', async () => {
    const retries: string[] = [];
    const res = await get(`${api.base}/flaky`, { retry: 3, onRetry: (r) => retries.push(r.reason) });
    assert.equal(res.status, 200);
    assert.equal(res.attempts, 3);
    assert.deepEqual(retries, ['HTTP 503', 'HTTP 503']);
  });

  it('retries connection resets, and gives up after `retry`', async () => {
    const res = await get(`${api.base}/reset?id=a`, { retry: 2 });
    assert.deepEqual(res.json(), { ok: true, attempt: 3 });
    await assert.rejects(get(`${api.base}/reset?id=b`, { retry: 1 }), { code: 'ERR_NETECHO_CONNECTION_RESET' });
  });

  it('does not retry a POST (not idempotent)', async () => {
    const res = await get(`${api.base}/flaky?id=post`, { method: 'POST', retry: 3 });
    assert.equal(res.status, 503);
    assert.equal(res.attempts, 1);
  });

  it('honours Retry-After', async () => {
    const delays: number[] = [];
    const t0 = performance.now();
    const res = await get(`${api.base}/limited`, { retry: 1, onRetry: (r) => delays.push(r.delayMs) });
    assert.equal(res.status, 200);
    assert.deepEqual(delays, [1000]);
    assert.ok(performance.now() - t0 >= 990);
  });

  it('output: the final body streams to a writable, past maxBody; redirects and retries do not write to it', async () => {
    const chunks: Buffer[] = [];
    const sinkStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    const res = await get(`${api.base}/redirect?n=2`, { output: sinkStream, maxBody: 4 });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(Buffer.concat(chunks).toString(), '{"arrived":true}');
    assert.equal(res.bodyBytes, 16);
    chunks.length = 0;
    const retried = await get(`${api.base}/flaky?id=out`, { output: sinkStream, retry: 3 });
    assert.equal(retried.attempts, 3);
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { ok: true, attempt: 3 });
  });

  it('a server that never answers: ERR_NETECHO_TIMEOUT after the timeout', async () => {
    const t0 = performance.now();
    await assert.rejects(get(`${api.base}/never`, { timeout: '200ms' }), { code: 'ERR_NETECHO_TIMEOUT' });
    assert.ok(performance.now() - t0 < 2000);
  });

  it('sends headers, a method and a JSON body', async () => {
    const res = await get(`${api.base}/echo`, { method: 'PUT', headers: ['X-Trace: 42'], json: { a: 1 } });
    const body = res.json() as { method: string; headers: Record<string, string>; body: string };
    assert.equal(body.method, 'PUT');
    assert.equal(body.headers['x-trace'], '42');
    assert.equal(body.headers['content-type'], 'application/json');
    assert.equal(body.body, '{"a":1}');
  });

  it('rejects bad options before connecting, naming them', async () => {
    await assert.rejects(get('ftp://127.0.0.1/'), { code: 'ERR_NETECHO_INVALID_URL' });
    await assert.rejects(get(api.base, { headers: ['no colon'] }), { code: 'ERR_NETECHO_INVALID_ARGUMENT', message: 'invalid headers: "no colon" (expected "Name: value")' });
    await assert.rejects(get(api.base, { headers: { 'X-A': 'a\r\nInjected: 1' } }), { message: 'invalid headers: the value of X-A contains a line break' });
    await assert.rejects(get(api.base, { retry: -1 }), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
  });

  it('goes through HTTP_PROXY unless NO_PROXY names the host', async () => {
    const tunnels: string[] = [];
    const proxy = http.createServer();
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host = '', port = ''] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    try {
      const via = await get(`${api.base}/events`, { env: { HTTP_PROXY: proxyUrl } });
      assert.equal(via.status, 200);
      assert.deepEqual(tunnels, [new URL(api.base).host]);
      assert.equal(via.timing.proxy, proxyUrl);
      const direct = await get(`${api.base}/events`, { env: { HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' } });
      assert.equal(direct.status, 200);
      assert.equal(tunnels.length, 1, 'NO_PROXY bypassed the proxy');
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});

describe('get() over HTTPS', { skip: missing('openssl') }, () => {
  let pki: Pki;
  let server: https.Server;
  let base: string;
  before(async () => {
    pki = makePki();
    server = https.createServer({ cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ secure: true }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    pki.remove();
  });

  it('trusts a locally made CA with `ca`, and times the TLS handshake', async () => {
    const res = await get(base, { tls: { ca: pki.pem(pki.caCert) } });
    assert.deepEqual(res.json(), { secure: true });
    assert.ok(res.timing.tlsMs > 0);
    const t = res.timing;
    assert.ok(Math.abs(t.dnsMs + t.connectMs + t.tlsMs + t.firstByteMs + t.transferMs - t.totalMs) < 0.01);
  });

  it('refuses an untrusted certificate (ERR_NETECHO_TLS) unless insecure', async () => {
    await assert.rejects(get(base), { code: 'ERR_NETECHO_TLS' });
    assert.equal((await get(base, { tls: { insecure: true } })).status, 200);
  });
});

describe('retry timing', () => {
  it('backs off exponentially with jitter in [d/2, d], capped', () => {
    assert.equal(retryDelay(1, 30_000, undefined, 0, () => 0), 125);
    assert.equal(retryDelay(1, 30_000, undefined, 0, () => 1), 250);
    assert.equal(retryDelay(3, 30_000, undefined, 0, () => 1), 1000);
    assert.equal(retryDelay(20, 5000, undefined, 0, () => 1), 5000);
  });

  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000), 6000);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(retryDelay(1, 1500, '120', 0, () => 0), 1500);
  });
});

describe('proxyFromEnv', () => {
  it('reads HTTP_PROXY/HTTPS_PROXY in either case and honours NO_PROXY', () => {
    const u = new URL('http://api.example.com/x');
    assert.equal(proxyFromEnv(u, { http_proxy: 'http://p:3128' }), 'http://p:3128');
    assert.equal(proxyFromEnv(new URL('https://api.example.com/'), { HTTP_PROXY: 'http://p:3128' }), null);
    assert.equal(proxyFromEnv(new URL('https://api.example.com/'), { HTTPS_PROXY: 'http://p:3128' }), 'http://p:3128');
    assert.equal(proxyFromEnv(u, { HTTP_PROXY: 'http://p', NO_PROXY: '.example.com' }), null);
    assert.equal(proxyFromEnv(u, { HTTP_PROXY: 'http://p', NO_PROXY: 'example.com:8080' }), 'http://p');
    assert.equal(proxyFromEnv(u, { HTTP_PROXY: 'http://p', NO_PROXY: '*' }), null);
    assert.equal(proxyFromEnv(u, {}), null);
  });
});

describe('get() decodes compressed bodies', () => {
  const zlibMod = import('node:zlib');
  const doc = { message: 'compressed '.repeat(200) };
  let server: http.Server;
  let base: string;
  const acceptSeen: Array<string | undefined> = [];
  before(async () => {
    const zlib = await zlibMod;
    const plain = Buffer.from(JSON.stringify(doc));
    server = http.createServer((req, res) => {
      acceptSeen.push(req.headers['accept-encoding']);
      const coding = (req.url ?? '/').slice(1);
      const body =
        coding === 'gzip' ? zlib.gzipSync(plain) : coding === 'deflate' ? zlib.deflateSync(plain) : coding === 'br' ? zlib.brotliCompressSync(plain) : coding === 'bomb' ? zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)) : Buffer.from('not gzip at all');
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding === 'bomb' || coding === 'broken' ? 'gzip' : coding });
      res.end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await once(server, 'close');
  });

  it('gzip, deflate and br: asked for with Accept-Encoding, decoded; raw keeps the bytes as sent', async () => {
    for (const coding of ['gzip', 'deflate', 'br']) {
      const res = await get(`${base}/${coding}`);
      assert.deepEqual(res.json(), doc, coding);
      assert.equal(res.bodyBytes, JSON.stringify(doc).length);
      assert.equal(acceptSeen[acceptSeen.length - 1], 'gzip, deflate, br');
    }
    const raw = await get(`${base}/gzip`, { raw: true });
    assert.equal(acceptSeen[acceptSeen.length - 1], undefined);
    assert.deepEqual([raw.body[0], raw.body[1]], [0x1f, 0x8b]);
  });

  it('maxBody counts decoded bytes (a gzip bomb is stopped), and a body that does not decode is ERR_NETECHO_PROTOCOL', async () => {
    await assert.rejects(get(`${base}/bomb`, { maxBody: '1MiB' }), { code: 'ERR_NETECHO_PROTOCOL', message: /body larger than 1048576 bytes once decoded \(gzip\)/ });
    await assert.rejects(get(`${base}/broken`), { code: 'ERR_NETECHO_PROTOCOL', message: /does not decode as its Content-Encoding says/ });
  });
});
