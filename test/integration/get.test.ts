/** `netecho get` as a user runs it, against local servers only. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('netecho get', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/events') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end('[{"id":"1","type":"PushEvent","public":true,"payload":{"size":2,"ref":null}}]');
      } else if (path === '/moved') {
        res.writeHead(301, { location: '/events' });
        res.end();
      } else if (path === '/text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('not json');
      } else if (path === '/binary') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
      } else if (path === '/never') {
        // never answers
      } else {
        res.writeHead(Number(path.slice(1)) || 404, { 'content-type': 'application/json' });
        res.end('{"status":"as asked"}');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('prints a JSON body pretty-printed, exactly, and no colour when piped', async () => {
    const r = await runCli(['get', `${base}/events`]);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      '[\n  {\n    "id": "1",\n    "type": "PushEvent",\n    "public": true,\n    "payload": {\n      "size": 2,\n      "ref": null\n    }\n  }\n]\n',
    );
    assert.equal(r.stderr, '');
  });

  it('a text body that starts with a byte-order mark is printed with it, byte for byte', async () => {
    const bom = http.createServer((_req, res) => res.end(Buffer.from('\ufeffhello\n', 'utf8')));
    bom.listen(0, '127.0.0.1');
    await once(bom, 'listening');
    try {
      const url = `http://127.0.0.1:${(bom.address() as net.AddressInfo).port}/`;
      const r = await runCli(['get', url]);
      assert.equal(r.code, 0);
      assert.ok(Buffer.from(r.stdout, 'utf8').equals(Buffer.from('\ufeffhello\n', 'utf8')), JSON.stringify(r.stdout));
      const j = JSON.parse((await runCli(['get', url, '--json'])).stdout) as { body: string };
      assert.equal(j.body, '\ufeffhello\n');
    } finally {
      bom.close();
    }
  });

  it('colours JSON with FORCE_COLOR, and NO_COLOR wins', async () => {
    const coloured = await runCli(['get', `${base}/events`], { env: { FORCE_COLOR: '1' } });
    assert.ok(coloured.stdout.includes('\x1b[34;1m"id"\x1b[0m: \x1b[32m"1"\x1b[0m'), coloured.stdout);
    const plain = await runCli(['get', `${base}/events`], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.ok(!plain.stdout.includes('\x1b['));
  });

  it('-i prints the status line and headers, with the redirect chain first', async () => {
    const r = await runCli(['get', `${base}/moved`, '-i']);
    assert.match(r.stdout, /^HTTP\/1\.1 301 Moved Permanently\nlocation: \/events\n/);
    assert.match(r.stdout, /\n\nHTTP\/1\.1 200 OK\ncontent-type: application\/json; charset=utf-8\n/);
    assert.match(r.stdout, /\n\n\[\n {2}\{/);
  });

  it('--timing prints the phases on stderr, stdout stays the body', async () => {
    const r = await runCli(['get', `${base}/events`, '--timing']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\[\n/);
    assert.match(r.stderr, /Connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+/);
    for (const phase of ['DNS Lookup', 'TCP Connection', 'Server Processing', 'Content Transfer', 'namelookup:', 'connect:', 'starttransfer:', 'total:']) {
      assert.ok(r.stderr.includes(phase), phase);
    }
    assert.ok(!r.stderr.includes('TLS Handshake'), 'no TLS phase over http');
  });

  it('--json prints one document: status, headers, redirects, timing, parsed body', async () => {
    const r = await runCli(['get', `${base}/moved`, '--json']);
    const doc = JSON.parse(r.stdout) as {
      status: number;
      url: string;
      headers: Record<string, string>;
      redirects: Array<{ status: number }>;
      timing: Record<string, number>;
      body: unknown;
    };
    assert.equal(doc.status, 200);
    assert.equal(doc.url, `${base}/events`);
    assert.equal(doc.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(doc.redirects.map((h) => h.status), [301]);
    assert.deepEqual(doc.body, [{ id: '1', type: 'PushEvent', public: true, payload: { size: 2, ref: null } }]);
    for (const k of ['dnsMs', 'connectMs', 'tlsMs', 'firstByteMs', 'transferMs', 'totalMs']) assert.ok((doc.timing[k] as number) >= 0, k);
  });

  it('a non-JSON body comes out as it is; a binary one passes through a pipe, or goes to --output', async () => {
    assert.equal((await runCli(['get', `${base}/text`])).stdout, 'not json');
    const bin = await runCli(['get', `${base}/binary`]);
    assert.deepEqual([...bin.stdoutBytes], [0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
    const dir = mkdtempSync(join(tmpdir(), 'netecho-get-'));
    try {
      const file = join(dir, 'out.png');
      const r = await runCli(['get', `${base}/binary`, '-o', file]);
      assert.equal(r.stdout, '');
      assert.deepEqual([...readFileSync(file)], [0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--output streams the body to the file; --json then says where; a failed request leaves no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netecho-get-'));
    try {
      const file = join(dir, 'events.json');
      const r = await runCli(['get', `${base}/moved`, '-o', file, '--json']);
      assert.equal(r.code, 0);
      const doc = JSON.parse(r.stdout) as { output: string; bodyBytes: number; body?: unknown };
      assert.equal(doc.output, file);
      assert.equal(doc.body, undefined);
      assert.equal(readFileSync(file, 'utf8'), '[{"id":"1","type":"PushEvent","public":true,"payload":{"size":2,"ref":null}}]');
      assert.equal(doc.bodyBytes, readFileSync(file).length);
      const gone = join(dir, 'never.bin');
      const failed = await runCli(['get', 'http://127.0.0.1:1/', '-o', gone]);
      assert.equal(failed.code, 69);
      assert.equal(existsSync(gone), false);
      const bad = await runCli(['get', `${base}/events`, '-o', join(dir, 'no', 'such', 'dir')]);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr, `netecho: cannot write --output "${join(dir, 'no', 'such', 'dir')}": no such file or directory\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--check-status: 3 for an unfollowed 3xx, 4 for 4xx, 5 for 5xx; 0 without it', async () => {
    assert.equal((await runCli(['get', `${base}/moved`, '--max-redirects', '0', '--check-status'])).code, 3);
    const notFound = await runCli(['get', `${base}/404`, '--check-status']);
    assert.equal(notFound.code, 4);
    assert.equal(notFound.stderr, 'netecho: HTTP 404 Not Found\n');
    assert.equal((await runCli(['get', `${base}/503`, '--check-status'])).code, 5);
    assert.equal((await runCli(['get', `${base}/503`])).code, 0);
  });

  it('network failures have their own exit codes and one-line messages', async () => {
    const timeout = await runCli(['get', `${base}/never`, '--timeout', '300ms']);
    assert.equal(timeout.code, 75);
    assert.equal(timeout.stderr, `netecho: timed out after 300 ms waiting for ${base}/never\n`);
    const refused = await runCli(['get', 'http://127.0.0.1:1/']);
    assert.equal(refused.code, 69);
    assert.equal(refused.stderr, 'netecho: connection refused by http://127.0.0.1:1/\n');
  });

  it('--max-body: a larger body is a protocol error naming the flag (exit 76); under it, the body as it is', async () => {
    const over = await runCli(['get', `${base}/text`, '--max-body', '4']);
    assert.deepEqual([over.code, over.stdout, over.stderr], [76, '', `netecho: ${base}/text: body larger than 4 bytes (raise --max-body)\n`]);
    assert.equal((await runCli(['get', `${base}/text`, '--max-body', '8'])).stdout, 'not json');
  });

  it('--http2 to an HTTP/1.1-only http:// server: one line naming the flag, exit 76', async () => {
    const r = await runCli(['get', '--http2', `${base}/text`]);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [76, '', `netecho: ${base}/text did not answer in HTTP/2 spoken from the first byte (h2c): is it an HTTP/1.1 server? (leave out --http2)\n`],
    );
  });

  it('bad input: one line, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['get', 'example.com'], 'netecho: invalid URL "example.com": expected http://host[:port]/path or https://…\n'],
      [['get', 'tcp://127.0.0.1:1'], 'netecho: invalid URL "tcp://127.0.0.1:1": get speaks http:// and https:// (not tcp://)\n'],
      [['get', base, '-H', 'nocolon'], 'netecho: invalid -H: "nocolon" (expected "Name: value")\n'],
      [['get', base, '--json-body', '{oops'], 'netecho: invalid --json-body: not JSON: {oops\n'],
      [['get', base, '--max-redirects', 'x'], 'netecho: invalid --max-redirects: "x" (expected a whole number >= 0)\n'],
      [['get', base, '--max-body', 'lots'], 'netecho: invalid --max-body: "lots" (expected a size such as 64, 1KiB, 64KiB, 1MiB)\n'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.stderr, message, args.join(' '));
      assert.equal(r.code, 2);
    }
  });
});
