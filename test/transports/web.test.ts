import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { serve, type EchoServer } from '../../src/index.js';
import { until } from '../helpers/net.js';
import { missing, runTool } from '../helpers/peers.js';
import { makePki, type Pki } from '../helpers/pki.js';

interface Reflection {
  httpVersion: string;
  transport: string;
  method: string;
  url: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string | null;
  bodyEncoding: string | null;
  bodyBytes: number;
  client: { address: string; port: number };
  server: { address: string; port: number; hostname: string };
  tls: null | { protocol: string; sni: string | null; alpn: string | null; clientCertificate: { subject: string } | null };
  timing: { receivedAt: string; delayMs: number };
}

/** Write raw bytes, read until the server closes; resolves with the whole response. */
async function rawRequest(port: number, data: string | Buffer, keepWriting?: (s: net.Socket) => void): Promise<string> {
  const s = net.connect({ port, host: '127.0.0.1' });
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => {});
  s.write(data);
  keepWriting?.(s);
  await once(s, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

/** The JSON body of a raw HTTP/1.1 response. */
function jsonBody(response: string): { error: string } & Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: string };
}

describe('HTTP reflection', () => {
  let server: EchoServer;
  let base: string;
  let port: number;
  before(async () => {
    server = await serve({ listen: 'http://127.0.0.1:0', http: { maxBody: '1KiB', maxDelay: '300ms', headersTimeout: '300ms', requestTimeout: '1s' } });
    base = server.addresses[0] ?? '';
    port = Number(base.slice(base.lastIndexOf(':') + 1));
  });
  after(() => server.destroy());

  it('reflects method, path, query, headers, body and addresses as JSON, secrets redacted', async () => {
    const res = await fetch(`${base}/api/items?a=1&a=2&b=x%20y`, {
      method: 'PUT',
      body: 'hello body',
      headers: { Authorization: 'Bearer s3cret', Cookie: 'id=42', 'Proxy-Authorization': 'Basic x', 'X-Custom': 'kept' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const r = (await res.json()) as Reflection;
    assert.equal(r.transport, 'http');
    assert.equal(r.method, 'PUT');
    assert.equal(r.path, '/api/items');
    assert.deepEqual(r.query, { a: ['1', '2'], b: 'x y' });
    assert.equal(r.headers.authorization, '[redacted]');
    assert.equal(r.headers.cookie, '[redacted]');
    assert.equal(r.headers['proxy-authorization'], '[redacted]');
    assert.equal(r.headers['x-custom'], 'kept');
    assert.equal(r.body, 'hello body');
    assert.equal(r.bodyEncoding, 'utf8');
    assert.equal(r.bodyBytes, 10);
    assert.equal(r.client.address, '127.0.0.1');
    assert.equal(r.server.port, port);
    assert.equal(r.tls, null);
    assert.ok(!Number.isNaN(Date.parse(r.timing.receivedAt)));
  });

  it('a binary body comes back as base64', async () => {
    const body = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const r = (await (await fetch(base, { method: 'POST', body })).json()) as Reflection;
    assert.equal(r.bodyEncoding, 'base64');
    assert.equal(r.body, body.toString('base64'));
  });

  it('a UTF-8 body that starts with a byte-order mark keeps it: every byte comes back', async () => {
    // TextDecoder drops a leading BOM unless told not to: the reflection said 4 bytes and carried 1.
    for (const body of [Buffer.from([0xef, 0xbb, 0xbf, 0x41]), Buffer.from('\ufeff\ufeffhi', 'utf8')]) {
      const r = (await (await fetch(base, { method: 'POST', body })).json()) as Reflection;
      assert.equal(r.bodyEncoding, 'utf8');
      assert.equal(r.bodyBytes, body.length);
      assert.ok(Buffer.from(r.body ?? '', 'utf8').equals(body), JSON.stringify(r.body));
    }
  });

  it('?status, ?delay and ?body control the reply', async () => {
    const res = await fetch(`${base}/?status=503`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as Reflection).method, 'GET');
    const t0 = performance.now();
    const delayed = (await (await fetch(`${base}/?delay=150ms`)).json()) as Reflection;
    assert.ok(performance.now() - t0 >= 140);
    assert.equal(delayed.timing.delayMs, 150);
    const capped = (await (await fetch(`${base}/?delay=1h`)).json()) as Reflection;
    assert.equal(capped.timing.delayMs, 300, 'capped at http.maxDelay');
    const body = await fetch(`${base}/?body=${encodeURIComponent('{"ok":true}')}&status=201`);
    assert.equal(body.status, 201);
    assert.deepEqual(await body.json(), { ok: true });
    const text = await fetch(`${base}/?body=plain`);
    assert.equal(await text.json(), 'plain');
    const bad = await fetch(`${base}/?status=42`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'invalid status: "42" (from 200 to 599)' });
  });

  it('never replies with HTML: <script> in path, query and body comes back escaped in JSON', async () => {
    const res = await fetch(`${base}/<script>alert(1)</script>?body=<script>x</script>`, { method: 'POST', body: '<script>alert(2)</script>' });
    const text = await res.text();
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.ok(!text.includes('<'), 'no raw < in the reply');
    assert.equal(JSON.parse(text), '<script>x</script>');
    const r = (await (await fetch(`${base}/<script>`, { method: 'POST', body: '<b>' })).json()) as Reflection;
    assert.equal(r.path, '/%3Cscript%3E');
    assert.equal(r.body, '<b>');
  });

  it('CRLF in a reflected value stays inside the JSON string', async () => {
    const reply = await rawRequest(port, 'GET /a%0d%0aSet-Cookie:%20x=1?q=%0d%0aInjected:%20yes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [head, body] = reply.split('\r\n\r\n');
    assert.ok(!/^set-cookie|^injected/im.test(head ?? ''), 'no header injected');
    const r = JSON.parse(body ?? '') as Reflection;
    assert.equal(r.query.q, '\r\nInjected: yes');
  });

  it('property: a chunked body split anywhere is reflected byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1000 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 10 }), async (bytes, sizes) => {
        const body = Buffer.from(bytes);
        const pieces: Buffer[] = [];
        for (let at = 0, k = 0; at < body.length; k++) {
          const n = Math.min(sizes[k % sizes.length] ?? 1, body.length - at);
          pieces.push(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n')]));
          at += n;
        }
        const chunked = Buffer.concat([...pieces, Buffer.from('0\r\n\r\n')]).toString('latin1');
        const reply = await rawRequest(port, Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`, 'latin1'));
        // rawRequest reads bytes as latin1; the JSON reply is UTF-8.
        const r = JSON.parse(Buffer.from(reply.slice(reply.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')) as Reflection;
        assert.equal(r.bodyBytes, body.length);
        assert.ok(Buffer.from(r.body ?? '', r.bodyEncoding === 'base64' ? 'base64' : 'utf8').equals(body));
      }),
      { numRuns: 40 },
    );
  });

  it('413 for a body above http.maxBody, by Content-Length or streamed', async () => {
    const big = await fetch(base, { method: 'POST', body: 'x'.repeat(1025) });
    assert.equal(big.status, 413);
    assert.deepEqual(await big.json(), { error: 'body too large: 1025 bytes (at most 1024)' });
    const chunked = await rawRequest(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      (s) => s.write(`800\r\n${'y'.repeat(2048)}\r\n0\r\n\r\n`),
    );
    assert.match(chunked, /^HTTP\/1\.1 413 /);
  });

  it('431 for more than 100 headers (a header flood), and for more than 16 KiB of them', async () => {
    const headers = Array.from({ length: 150 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const flood = await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    assert.match(flood, /^HTTP\/1\.1 431 /);
    const huge = await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.deepEqual(jsonBody(huge), { error: 'request headers too large' });
  });

  it('every refusal is JSON with nosniff: HTTP/1.1 without Host, an unparsable request, bad upgrades', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['GET / HTTP/1.1\r\n\r\n', 400, /^missing Host header/],
      ['GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400, /^bad request/],
      ['GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', 400, /Sec-WebSocket-Key/],
      ['GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 400, /Sec-WebSocket-Version/],
      ['POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 405, /method/],
    ];
    for (const [request, status, error] of cases) {
      const reply = await rawRequest(port, request);
      assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `), request);
      assert.match(reply, /\r\nContent-Type: application\/json; charset=utf-8\r\n/i, request);
      assert.match(reply, /\r\nX-Content-Type-Options: nosniff\r\n/i, request);
      assert.match(jsonBody(reply).error, error, request);
    }
  });

  it('an absolute-form target: path is the path, url keeps the whole target', async () => {
    const reply = await rawRequest(port, 'GET http://other.example:81/abs/x?q=1 HTTP/1.1\r\nHost: other.example:81\r\nConnection: close\r\n\r\n');
    const r = jsonBody(reply) as unknown as Reflection;
    assert.deepEqual([r.url, r.path, r.query], ['http://other.example:81/abs/x?q=1', '/abs/x', { q: '1' }]);
    const bare = jsonBody(await rawRequest(port, 'GET http://other.example HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n')) as unknown as Reflection;
    assert.equal(bare.path, '/');
  });

  it('slow headers: a request whose headers do not arrive within the header timeout gets 408 and is closed', async () => {
    const t0 = performance.now();
    const reply = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
    const ms = performance.now() - t0;
    assert.match(reply, /^HTTP\/1\.1 408 /);
    assert.ok(ms < 3000, `closed after ${Math.round(ms)} ms`);
  });

  it('a WebSocket upgrade on the same port gets WebSocket echo', async () => {
    const ws = new WebSocket(base.replace('http://', 'ws://') + '/any/path');
    await once(ws, 'open');
    ws.send('over http port');
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.equal(data.toString(), 'over http port');
    assert.equal(isBinary, false);
    ws.close();
    await once(ws, 'close');
  });

  it('curl: GET, POST --data, the query controls, and a <script> path that comes back as JSON', { skip: missing('curl') }, async () => {
    const get = await runTool('curl', ['-s', '-i', `${base}/hello?x=1`]);
    const out = get.stdout.toString();
    assert.match(out, /^HTTP\/1\.1 200 OK/);
    assert.match(out, /content-type: application\/json; charset=utf-8/i);
    const r = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as Reflection;
    assert.equal(r.path, '/hello');
    assert.equal(r.headers['user-agent']?.startsWith('curl/'), true);
    const post = JSON.parse((await runTool('curl', ['-s', '--data', 'a=b', base])).stdout.toString()) as Reflection;
    assert.equal(post.method, 'POST');
    assert.equal(post.body, 'a=b');
    const status = await runTool('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/?status=418`]);
    assert.equal(status.stdout.toString(), '418');
    const script = await runTool('curl', ['-s', '--path-as-is', `${base}/<script>alert(1)</script>`]);
    assert.ok(!script.stdout.toString().includes('<script>'));
    assert.equal((JSON.parse(script.stdout.toString()) as Reflection).path, '/<script>alert(1)</script>');
  });

  it('--reveal-secrets shows the Authorization header', async () => {
    const open = await serve({ listen: 'http://127.0.0.1:0', http: { revealSecrets: true } });
    try {
      const r = (await (await fetch(open.addresses[0] ?? '', { headers: { Authorization: 'Bearer visible' } })).json()) as Reflection;
      assert.equal(r.headers.authorization, 'Bearer visible');
    } finally {
      await open.destroy();
    }
  });
});

describe('HTTP reflection: CORS and ?header=', () => {
  it('?header=Name:Value adds response headers (repeatable); line breaks and the headers that keep the reply JSON are refused', async () => {
    const server = await serve({ listen: 'http://127.0.0.1:0' });
    const base = server.addresses[0] ?? '';
    try {
      const res = await fetch(`${base}/?header=X-Test:one&header=Cache-Control:max-age=60&header=Set-Cookie:a%3Db`);
      await res.arrayBuffer();
      assert.deepEqual([res.headers.get('x-test'), res.headers.get('cache-control'), res.headers.get('set-cookie')], ['one', 'max-age=60', 'a=b']);
      for (const [query, error] of [
        ['header=Content-Type:text/html', 'invalid header: Content-Type cannot be set (the reply stays JSON)'],
        ['header=X-Content-Type-Options:sniff', 'invalid header: X-Content-Type-Options cannot be set (the reply stays JSON)'],
        ['header=X-A:b%0d%0aX-Injected:1', 'invalid header: the value of X-A contains a line break'],
        ['header=no-colon', 'invalid header: "no-colon" (expected ?header=Name:Value)'],
      ] as const) {
        const bad = await fetch(`${base}/?${query}`);
        assert.equal(bad.status, 400, query);
        assert.equal(bad.headers.get('content-type'), 'application/json; charset=utf-8');
        assert.equal(bad.headers.get('x-injected'), null);
        assert.deepEqual(await bad.json(), { error }, query);
      }
    } finally {
      await server.destroy();
    }
  });

  it('--cors: preflights answered 204, replies carry Access-Control-Allow-Origin (any origin, or just the one given)', async () => {
    const any = await serve({ listen: 'http://127.0.0.1:0', http: { cors: true } });
    const one = await serve({ listen: 'http://127.0.0.1:0', http: { cors: 'https://app.example' } });
    const off = await serve({ listen: 'http://127.0.0.1:0' });
    try {
      const preflight = await fetch(`${any.addresses[0]}/api`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-token, content-type' },
      });
      assert.equal(preflight.status, 204);
      assert.deepEqual(
        ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age'].map((h) => preflight.headers.get(h)),
        ['*', 'PUT', 'x-token, content-type', '600'],
      );
      const r = await fetch(`${any.addresses[0]}/api`, { headers: { Origin: 'https://elsewhere.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(((await r.json()) as Reflection).path, '/api');
      const mine = await fetch(`${one.addresses[0]}/`, { headers: { Origin: 'https://app.example' } });
      await mine.arrayBuffer();
      assert.deepEqual([mine.headers.get('access-control-allow-origin'), mine.headers.get('vary')], ['https://app.example', 'Origin']);
      const other = await fetch(`${one.addresses[0]}/`, { headers: { Origin: 'https://evil.example' } });
      await other.arrayBuffer();
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const none = await fetch(`${off.addresses[0]}/`, { method: 'OPTIONS', headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'PUT' } });
      assert.equal(none.status, 200); // no CORS: an OPTIONS request is reflected like any other
      assert.equal(none.headers.get('access-control-allow-origin'), null);
      await none.arrayBuffer();
      await assert.rejects(serve({ listen: 'http://127.0.0.1:0', http: { cors: 'app.example' } }), { option: 'http.cors' });
    } finally {
      await any.destroy();
      await one.destroy();
      await off.destroy();
    }
  });
});

describe('HTTP clients that pipeline requests and never read', () => {
  it('are closed after --send-stall-timeout without progress, counted send-stall; a reading client is not', async () => {
    const server = await serve({ listen: 'http://127.0.0.1:0', sendStallTimeout: '500ms', idleTimeout: '1h' });
    const port = Number((server.addresses[0] ?? '').split(':').pop());
    try {
      const body = Buffer.alloc(256 * 1024, 0xff); // not UTF-8: reflected as base64, about 350 KB per reply
      const request = Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
      const hog = net.connect({ port, host: '127.0.0.1' });
      hog.pause(); // never reads
      hog.on('error', () => {});
      let written = 0;
      const pump = (): void => {
        while (!hog.destroyed && written < 200) {
          written++;
          if (!hog.write(request)) return;
        }
      };
      hog.on('drain', pump);
      await once(hog, 'connect');
      pump();
      const [info] = (await once(server, 'close')) as [{ reason: string; bytesOut: number }];
      assert.equal(info.reason, 'send-stall');
      assert.ok(written < 200, `the server read all ${written} requests`);
      assert.equal(server.stats.closed['send-stall'], 1);
      hog.destroy();
      // A client that reads its replies, however many, is never closed for a stall.
      const replies = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.addresses[0]}/`, { method: 'POST', body }).then((r) => r.status)));
      assert.deepEqual(new Set(replies), new Set([200]));
      assert.equal(server.stats.closed['send-stall'], 1);
    } finally {
      await server.destroy();
    }
  });
});

describe('HTTP drain', () => {
  it('a request in flight when the drain finishes connections gets its reply, then the connection closes', async () => {
    const server = await serve({ listen: 'http://127.0.0.1:0' });
    const base = server.addresses[0] ?? '';
    // Drain 2 s: connections are finished at 1.5 s; the reply, due at 1.7 s, still comes, with Connection: close.
    const reply = fetch(`${base}/?delay=1700ms`);
    await until(() => server.connections === 1, 2000, 'the request to arrive');
    const t0 = performance.now();
    const closing = server.close({ drainTimeout: '2s' });
    const res = await reply;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('connection'), 'close');
    assert.equal(((await res.json()) as Reflection).timing.delayMs, 1700);
    await closing;
    // Closed when the reply was done, before the deadline.
    assert.ok(performance.now() - t0 < 1950, `closed after ${Math.round(performance.now() - t0)} ms`);
    assert.equal(server.stats.closed['drain-deadline'], 1);
  });
});

describe('HTTPS reflection', { skip: missing('openssl', 'curl') }, () => {
  let pki: Pki;
  let server: EchoServer;
  let base: string;
  before(async () => {
    pki = makePki();
    server = await serve({
      listen: 'https://127.0.0.1:0',
      tls: { cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey), clientCa: pki.pem(pki.caCert) },
    });
    base = server.addresses[0] ?? '';
  });
  after(async () => {
    await server.destroy();
    pki.remove();
  });

  it('curl with a client certificate sees TLS details: protocol, ALPN, SNI, client certificate subject', async () => {
    const port = base.slice(base.lastIndexOf(':') + 1);
    const r = await runTool('curl', [
      '-s',
      '--cacert', pki.caCert,
      '--cert', pki.clientCert,
      '--key', pki.clientKey,
      '--resolve', `localhost:${port}:127.0.0.1`,
      `https://localhost:${port}/secure`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout.toString()) as Reflection;
    assert.equal(body.transport, 'https');
    assert.match(body.tls?.protocol ?? '', /^TLSv1\.[23]$/);
    // curl offers h2, and https:// agrees to it; the TLS details are the same over either.
    assert.deepEqual([body.tls?.alpn, body.httpVersion], ['h2', '2.0']);
    assert.equal(body.tls?.sni, 'localhost');
    assert.equal(body.tls?.clientCertificate?.subject, 'CN=test client, O=netecho');
  });

  it('refuses curl without a client certificate', async () => {
    const r = await runTool('curl', ['-s', '--cacert', pki.caCert, base]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.toString(), '');
  });
});

describe('HTTP/2 beside HTTP/1.1 on the same listeners', { skip: missing('curl') }, () => {
  let server: EchoServer;
  let plain: string;
  let secure: string;
  before(async () => {
    server = await serve({ listen: ['http://127.0.0.1:0', 'https://127.0.0.1:0'], tls: { selfSigned: true }, http: { maxBody: '1KiB', headersTimeout: '300ms', requestTimeout: '1s' } });
    [plain, secure] = server.addresses as [string, string];
  });
  after(() => server.destroy());

  const curl = async (args: string[]): Promise<{ code: number | null; json: Reflection & { error?: string }; status: string }> => {
    const r = await runTool('curl', ['-s', '-w', '\n%{http_version} %{http_code}', ...args]);
    const text = r.stdout.toString();
    const cut = text.lastIndexOf('\n');
    return { code: r.code, json: JSON.parse(text.slice(0, cut)) as Reflection & { error?: string }, status: text.slice(cut + 1) };
  };

  it('http://: h2c with prior knowledge and HTTP/1.1 on one port; https://: h2 by ALPN and HTTP/1.1', async () => {
    const h2c = await curl(['--http2-prior-knowledge', `${plain}/two?x=1`, '--data', 'body over h2c']);
    assert.deepEqual([h2c.status, h2c.json.httpVersion, h2c.json.method, h2c.json.path, h2c.json.query, h2c.json.body], ['2 200', '2.0', 'POST', '/two', { x: '1' }, 'body over h2c']);
    assert.equal(h2c.json.headers.host, plain.replace('http://', ''));
    assert.ok(!Object.keys(h2c.json.headers).some((k) => k.startsWith(':')), 'no pseudo-headers among the headers');
    const h1 = await curl([`${plain}/one`]);
    assert.deepEqual([h1.status, h1.json.httpVersion], ['1.1 200', '1.1']);
    const h2 = await curl(['-k', '--http2', `${secure}/tls`]);
    assert.deepEqual([h2.status, h2.json.httpVersion, h2.json.tls?.alpn], ['2 200', '2.0', 'h2']);
    const h11 = await curl(['-k', '--http1.1', `${secure}/tls`]);
    assert.deepEqual([h11.status, h11.json.httpVersion, h11.json.tls?.alpn], ['1.1 200', '1.1', 'http/1.1']);
  });

  it('the limits hold over HTTP/2: 413 for a body above maxBody, ?status, the JSON reply', async () => {
    const big = await curl(['--http2-prior-knowledge', `${plain}/`, '--data', 'x'.repeat(2000)]);
    assert.equal(big.status, '2 413');
    assert.match(big.json.error ?? '', /body too large/);
    const teapot = await curl(['--http2-prior-knowledge', `${plain}/?status=418`]);
    assert.equal(teapot.status, '2 418');
  });

  it('get --http2 speaks HTTP/2 to https:// (ALPN) and to http:// (h2c, prior knowledge)', async () => {
    const { get } = await import('../../src/index.js');
    const res = await get(`${secure}/via-get`, { http2: true, tls: { insecure: true } });
    assert.equal(res.httpVersion, '2');
    assert.equal((res.json() as Reflection).httpVersion, '2.0');
    const h2c = await get(`${plain}/via-h2c?x=1`, { http2: true, data: 'over h2c' });
    assert.deepEqual([h2c.httpVersion, (h2c.json() as Reflection).httpVersion, (h2c.json() as Reflection).body], ['2', '2.0', 'over h2c']);
    const h1 = await get(`${plain}/plain`);
    assert.equal(h1.httpVersion, '1.1');
    await assert.rejects(get(`${plain}/`, { http2: true, proxy: 'http://127.0.0.1:9' }), {
      code: 'ERR_NETECHO_INVALID_ARGUMENT',
      option: 'http2',
      message: 'http2 to an http:// URL (h2c) cannot go through a proxy (http://127.0.0.1:9)',
    });
  });

  it('get --http2 to an http:// server that speaks only HTTP/1.1: a protocol error naming the option', async () => {
    const { get } = await import('../../src/index.js');
    const h1only = http.createServer((_req, res) => res.end('HTTP/1.1 only'));
    h1only.listen(0, '127.0.0.1');
    await once(h1only, 'listening');
    try {
      const url = `http://127.0.0.1:${(h1only.address() as net.AddressInfo).port}/`;
      assert.equal((await get(url)).text(), 'HTTP/1.1 only');
      await assert.rejects(get(url, { http2: true }), {
        code: 'ERR_NETECHO_PROTOCOL',
        option: 'http2',
        message: `${url} did not answer in HTTP/2 spoken from the first byte (h2c): is it an HTTP/1.1 server? (leave out http2)`,
      });
    } finally {
      h1only.closeAllConnections();
      await new Promise((resolve) => h1only.close(resolve));
    }
  });

  it('a connection that sends nothing is closed at the header timeout (idle-timeout), as over HTTP/1.1', async () => {
    const before = server.stats.closed['idle-timeout'];
    const s = net.connect({ port: Number(plain.split(':').pop()), host: '127.0.0.1' });
    s.on('error', () => {});
    const t0 = performance.now();
    await once(s, 'close');
    assert.ok(performance.now() - t0 < 2000);
    await until(() => server.stats.closed['idle-timeout'] === before + 1, 2000, 'the close counted');
  });
});
