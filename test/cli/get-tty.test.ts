/** `netecho get` writing to a terminal: run() with a stdout that says it is a TTY. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/main.js';

function capture(isTTY: boolean): Writable & { text: () => string; isTTY: boolean } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  }) as Writable & { text: () => string; isTTY: boolean };
  w.text = () => Buffer.concat(chunks).toString();
  w.isTTY = isTTY;
  return w;
}

describe('netecho get on a terminal', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/binary') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true,"n":1}');
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

  const io = (env: NodeJS.ProcessEnv = {}): { stdout: ReturnType<typeof capture>; stderr: ReturnType<typeof capture>; stdin: Readable; env: NodeJS.ProcessEnv } => ({
    stdout: capture(true),
    stderr: capture(false),
    stdin: Readable.from([]),
    env,
  });

  it('colours JSON on a terminal, and not with NO_COLOR', async () => {
    const a = io();
    assert.equal(await run(['get', `${base}/json`], a), 0);
    assert.equal(a.stdout.text(), '{\n  \x1b[34;1m"ok"\x1b[0m: \x1b[35mtrue\x1b[0m,\n  \x1b[34;1m"n"\x1b[0m: \x1b[36m1\x1b[0m\n}\n');
    const b = io({ NO_COLOR: '1' });
    assert.equal(await run(['get', `${base}/json`], b), 0);
    assert.equal(b.stdout.text(), '{\n  "ok": true,\n  "n": 1\n}\n');
  });

  it('refuses to write a binary body to a terminal: one line, exit 1, nothing on stdout', async () => {
    const a = io();
    assert.equal(await run(['get', `${base}/binary`], a), 1);
    assert.equal(a.stdout.text(), '');
    assert.equal(a.stderr.text(), 'netecho: binary body (6 bytes, image/png) not written to a terminal: use --output FILE or a pipe\n');
  });
});
