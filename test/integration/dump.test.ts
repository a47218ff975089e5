import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { once } from 'node:events';
import { runCli, startCliServer } from '../helpers/cli.js';
import { connect, readToEnd } from '../helpers/net.js';

interface Line {
  msg: string;
  [key: string]: unknown;
}

const lines = (stderr: string): Line[] =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

describe('serve --dump: seeing what arrived', () => {
  it('text: each chunk, message and datagram with its connection, kind and bytes; control characters escaped in text logs', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0', 'udp://127.0.0.1:0', '--dump', 'text', '--json', '--log-format', 'json']);
    try {
      const { addresses } = JSON.parse(s.url) as { addresses: [string, string, string] };
      const [tcp, ws, udp] = addresses;
      const port = Number(tcp.split(':').pop());
      const c = await connect(port);
      const echo = readToEnd(c);
      c.end('hi\n\u0001');
      assert.equal((await echo).toString(), 'hi\n\u0001');
      const client = new WebSocket(ws);
      await once(client, 'open');
      client.send('a text message');
      await once(client, 'message');
      client.send(Buffer.from([0, 1, 2]));
      await once(client, 'message');
      client.close();
      assert.equal((await runCli(['send', udp, 'a datagram'])).code, 0);
      await s.waitForStderr(/"kind":"datagram"/);
      const data = lines(s.stderr()).filter((l) => l.msg === 'data');
      const pick = (l: Line): unknown[] => [l.transport, l.dir, l.kind, l.bytes, l.text];
      assert.deepEqual(data.map(pick), [
        ['tcp', 'in', 'bytes', 4, 'hi\n\u0001'],
        ['ws', 'in', 'text', 14, 'a text message'],
        ['ws', 'in', 'binary', 3, '\u0000\u0001\u0002'],
        ['udp', 'in', 'datagram', 10, 'a datagram'],
      ]);
    } finally {
      await s.stop();
    }
    // In the text log format, control characters from the peer are made visible, never written raw.
    const t = await startCliServer(['tcp://127.0.0.1:0', '--dump', 'text']);
    try {
      const c = await connect(t.port);
      const echo = readToEnd(c);
      c.end('line\r\nforged \u001b[31mred');
      await echo;
      await t.waitForStderr(/ data /);
      const line = t.stderr().split('\n').find((l) => l.includes(' data ')) ?? '';
      assert.match(line, /text="line\\r\\nforged \\x1b\[31mred"/);
      assert.ok(!t.stderr().includes(String.fromCharCode(0x1b)), "a raw ESC reached the log");
    } finally {
      await t.stop();
    }
  });

  it('hex, and --dump-max: the rest of a chunk is counted, not shown', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--dump', 'hex', '--dump-max', '4', '--log-format', 'json']);
    try {
      const c = await connect(s.port);
      const echo = readToEnd(c);
      c.end(Buffer.from('0123456789'));
      await echo;
      await s.waitForStderr(/"msg":"data"/);
      const [d] = lines(s.stderr()).filter((l) => l.msg === 'data');
      assert.deepEqual([d?.hex, d?.bytes, d?.truncated], ['30 31 32 33', 10, 6]);
    } finally {
      await s.stop();
    }
  });

  it('bad --dump values are usage errors', async () => {
    assert.deepEqual(Object.values(await runCli(['serve', '--dump', 'raw'])).slice(0, 1), [2]);
    const r = await runCli(['serve', '--dump-max', '10']);
    assert.deepEqual([r.code, r.stderr], [2, 'netecho: --dump-max needs --dump text or --dump hex\n']);
  });
});

describe('HTTP access log', () => {
  it('every reflection gets a line: method, path, status, bytes, ms (without --dump; no body logged)', async () => {
    const s = await startCliServer(['http://127.0.0.1:0', '--log-format', 'json']);
    try {
      const res = await fetch(`${s.url}/items/7?secret=x`, { method: 'POST', body: 'not logged' });
      const body = await res.text();
      await s.waitForStderr(/"msg":"request"/);
      const [r] = lines(s.stderr()).filter((l) => l.msg === 'request');
      assert.deepEqual([r?.method, r?.path, r?.status, r?.bytes], ['POST', '/items/7', 200, Buffer.byteLength(body)]);
      assert.equal(typeof r?.ms, 'number');
      assert.doesNotMatch(s.stderr(), /not logged|secret/);
      await fetch(`${s.url}/?status=503`).then((x) => x.text());
      await s.waitForStderr(/"status":503/);
    } finally {
      await s.stop();
    }
  });
});
