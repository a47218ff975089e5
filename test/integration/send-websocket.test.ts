import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { serve, type EchoServer } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';

/** A WebSocket echo that is not netecho: it wants subprotocol chat.v1 and records what each client sent. */
describe('send to WebSocket servers that are not netecho', () => {
  let wss: WebSocketServer;
  let url: string;
  const seen: Array<{ headers: IncomingMessage['headers']; protocol: string; messages: Array<[string, boolean]> }> = [];
  before(async () => {
    wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has('chat.v1') ? 'chat.v1' : false),
    });
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const record = { headers: req.headers, protocol: ws.protocol, messages: [] as Array<[string, boolean]> };
      seen.push(record);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        record.messages.push([data.toString(), isBinary]);
        ws.send(data, { binary: isBinary });
      });
    });
    await once(wss, 'listening');
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/room`;
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    await once(wss, 'close');
  });

  it('-H adds headers, --origin sets Origin, --subprotocol offers a subprotocol', async () => {
    const r = await runCli(['send', url, 'hello', '-H', 'X-Token: abc', '-H', 'X-Other: 1', '--origin', 'https://app.example', '--subprotocol', 'chat.v1', '--subprotocol', 'chat.v0']);
    assert.deepEqual([r.code, r.stdout], [0, 'Send: hello\nReceived: hello\n'], r.stderr);
    const last = seen[seen.length - 1];
    assert.deepEqual(
      [last?.headers['x-token'], last?.headers['x-other'], last?.headers.origin, last?.headers['sec-websocket-protocol'], last?.protocol],
      ['abc', '1', 'https://app.example', 'chat.v1,chat.v0', 'chat.v1'],
    );
  });

  it('--lines: each stdin line is one text message, each message received one line', async () => {
    const r = await runCli(['send', url, '--lines', '--subprotocol', 'chat.v1'], { input: 'first line\nsecond\r\nthird without newline' });
    assert.deepEqual([r.code, r.stdout], [0, 'first line\nsecond\nthird without newline\n'], r.stderr);
    assert.deepEqual(seen[seen.length - 1]?.messages, [
      ['first line', false],
      ['second', false],
      ['third without newline', false],
    ]);
  });

  it('bad combinations are usage errors naming the flag', async () => {
    const cases: Array<[string[], string]> = [
      [['send', 'tcp://127.0.0.1:9', '--lines'], 'netecho: --lines is for ws:// and wss:// (text messages), not tcp://\n'],
      [['send', 'tcp://127.0.0.1:9', 'x', '--origin', 'https://a.example'], 'netecho: --origin is for ws:// and wss:// (not tcp://)\n'],
      [['send', url, 'x', '-H', 'no colon'], 'netecho: invalid -H: "no colon" (expected "Name: value")\n'],
      [['send', url, 'x', '--subprotocol', 'bad name'], 'netecho: invalid --subprotocol: "bad name" is not a subprotocol name\n'],
      [['send', 'http://127.0.0.1:9', '--lines'], 'netecho: --origin, --subprotocol and --lines are for ws:// and wss:// (not http://)\n'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.deepEqual([r.code, r.stderr], [2, message], args.join(' '));
    }
  });
});

describe('send --origin against serve --origin', () => {
  let server: EchoServer;
  before(async () => {
    server = await serve({ listen: 'ws://127.0.0.1:0', websocket: { origins: ['https://ok.example'] } });
  });
  after(() => server.destroy());

  it('the allowed origin gets its echo; without it the upgrade is refused (exit 76)', async () => {
    const ok = await runCli(['send', server.addresses[0] ?? '', 'hi', '--origin', 'https://ok.example']);
    assert.deepEqual([ok.code, ok.stdout], [0, 'Send: hi\nReceived: hi\n']);
    const refused = await runCli(['send', server.addresses[0] ?? '', 'hi']);
    assert.equal(refused.code, 76);
    assert.match(refused.stderr, /refused the WebSocket upgrade: HTTP 403/);
  });
});
