import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { BIN, runCli, startCliService, type RunningServer } from '../helpers/cli.js';
import { PEERS_DIR, freePort, missing } from '../helpers/peers.js';
import { RedisServer } from '../helpers/redis.js';
import { LineClient, WsClient } from '../helpers/relay.js';

/** A Python that has the websockets library (Debian's python3-websockets), or null. */
function pythonWithWebsockets(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

/** Start `netecho relay` with these arguments (JSON logs, and the addresses as JSON on stdout). */
async function startRelay(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ s: RunningServer; addresses: string[] }> {
  const s = await startCliService('relay', [...args, '--json', '--log-format', 'json'], env);
  return { s, addresses: s.addresses };
}

describe('netecho relay (CLI) with real peers', () => {
  let relay: RunningServer;
  let ws: string;
  let tcp: string;
  before(async () => {
    const started = await startRelay(['ws://127.0.0.1:0', 'tcp://127.0.0.1:0', '--history', '10']);
    relay = started.s;
    [ws, tcp] = started.addresses as [string, string];
  });
  after(() => relay.stop());

  it('ncat and a WebSocket client talk in one room, each getting exactly what the other sent', { skip: missing('ncat') }, async () => {
    const browser = await WsClient.open(`${ws}/lobby`);
    const port = tcp.split(':').pop() ?? '';
    const ncat = spawn('ncat', ['127.0.0.1', port], { stdio: ['pipe', 'pipe', 'ignore'] });
    let heard = '';
    ncat.stdout.on('data', (c: Buffer) => (heard += c.toString()));
    // ncat says nothing until it has a line to send: its first line also tells us it has joined.
    ncat.stdin.write('hello from ncat\n');
    assert.equal((await browser.count(1))[0]?.data.toString(), 'hello from ncat');
    browser.ws.send('hello from the browser');
    const deadline = Date.now() + 5000;
    while (!heard.includes('\n') && Date.now() < deadline) await once(ncat.stdout, 'data');
    assert.equal(heard, 'hello from the browser\n');
    ncat.stdin.end();
    await once(ncat, 'exit');
    browser.close();
  });

  it('the Python websockets client, ncat-style lines and netecho chat in one room', async (t) => {
    const python = pythonWithWebsockets();
    if (python === null) return t.skip('no Python with the websockets library (Debian python3-websockets; .ci/run installs it)');
    const line = await LineClient.open(Number(tcp.split(':').pop()));
    line.send('/join mixed');
    await line.waitLine(/^\* joined mixed$/);
    const py = spawn(python, [join(PEERS_DIR, 'ws_client.py'), `${ws}/mixed`, 'from python', '2', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    py.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('connected')) await once(py.stdout, 'data');
    const chat = await runCli(['chat', `${ws}/mixed`, '--name', 'carol'], { input: 'from netecho chat\n' });
    assert.equal(chat.code, 0, chat.stderr);
    line.send('from a line client');
    const [code] = (await once(py, 'exit')) as [number];
    assert.equal(code, 0);
    // Python got the chat's message, answered, then got the line client's.
    assert.deepEqual(out.trim().split('\n'), ['connected', 'from netecho chat', 'from a line client']);
    await line.waitLine(/^from a line client|from python$/);
    await line.waitLine(/^from python$/);
    assert.ok(line.lines.includes('from netecho chat'));
    line.close();
  });

  it('SIGTERM: drains, exits 0, and the last line counts messages', async () => {
    const started = await startRelay(['ws://127.0.0.1:0']);
    const a = await WsClient.open(`${started.addresses[0]}/x`);
    const b = await WsClient.open(`${started.addresses[0]}/x`);
    a.ws.send('one');
    await b.count(1);
    a.close();
    b.close();
    started.s.child.kill('SIGTERM');
    assert.equal((await started.s.exited).code, 0);
    const stop = started.s.stderr().split('\n').find((l) => l.includes('"msg":"stopped"')) ?? '';
    const doc = JSON.parse(stop) as Record<string, number>;
    assert.deepEqual([doc['messages.received'], doc['messages.published'], doc['messages.delivered']], [1, 1, 1]);
  });
});

describe('netecho chat (CLI)', () => {
  let relay: RunningServer;
  let ws: string;
  let tcp: string;
  let dir: string;
  const secret = 'a secret for the chat tests, long enough';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netecho-chat-'));
    writeFileSync(join(dir, 'secret'), `${secret}\n`);
    const started = await startRelay(['ws://127.0.0.1:0', 'tcp://127.0.0.1:0', '--auth-secret-file', join(dir, 'secret')]);
    relay = started.s;
    [ws, tcp] = started.addresses as [string, string];
  });
  after(async () => {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const jwt = (sub: string, claims: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret));

  it('without a terminal: stdin lines go out, messages come back as "sender: text", presence on stderr; --json gives events', async () => {
    const watcher = await WsClient.open(`${ws}/room1?format=json&token=${await jwt('watcher')}`);
    const sent = await runCli(['chat', `${ws}/room1`, '--token', await jwt('dave')], { input: 'one\ntwo\n' });
    assert.equal(sent.code, 0, sent.stderr);
    const got = (await Promise.all([watcher.waitJson((m) => m.data === 'one'), watcher.waitJson((m) => m.data === 'two')])).map((m) => m.from);
    assert.deepEqual(got, ['dave', 'dave']);
    assert.match(sent.stderr, /^\* in room1: dave, watcher$/m);
    // --json, and messages from others printed with their sender.
    const listener = spawn(process.execPath, [BIN, 'chat', `${ws}/room1`, '--token', await jwt('erin'), '--json', '--stay'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    listener.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('"type":"members"')) await once(listener.stdout, 'data');
    watcher.ws.send('for erin');
    while (!out.includes('for erin')) await once(listener.stdout, 'data');
    const event = out.split('\n').map((l) => (l ? (JSON.parse(l) as Record<string, unknown>) : null)).find((e) => e?.data === 'for erin');
    assert.deepEqual([event?.type, event?.from, event?.room], ['message', 'watcher', 'room1']);
    listener.kill('SIGINT');
    const [code] = (await once(listener, 'exit')) as [number];
    assert.equal(code, 0);
    watcher.close();
  });

  it('over TCP: /auth from --token, lines both ways', async () => {
    const peer = await WsClient.open(`${ws}/lobby?token=${await jwt('peer')}`);
    const r = await runCli(['chat', tcp, '--token', await jwt('frank')], { input: 'over tcp\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await peer.count(1))[0]?.data.toString(), 'over tcp');
    peer.close();
  });

  it('a refused token: one line, exit 76; the token never reaches the relay log', async () => {
    const bad = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').sign(new TextEncoder().encode('a different secret that is long enough'));
    const r = await runCli(['chat', `${ws}/lobby`, '--token', bad]);
    assert.equal(r.code, 76);
    assert.match(r.stderr, /refused the WebSocket upgrade: HTTP 401/);
    await relay.waitForStderr(/"msg":"denied"/);
    assert.ok(!relay.stderr().includes(bad), 'the token was logged');
    assert.ok(!relay.stderr().includes(secret), 'the secret was logged');
  });
});

describe('netecho relay --redis (CLI)', { skip: missing('redis-server', 'ncat') }, () => {
  it('two relay processes over one Redis: ncat on one, a WebSocket client on the other; Redis lost is one log line', async () => {
    const redis = await RedisServer.start();
    const one = await startRelay(['tcp://127.0.0.1:0', '--redis', redis.url]);
    // The other takes its Redis from REDIS_URL.
    const two = await startRelay(['ws://127.0.0.1:0'], { REDIS_URL: redis.url });
    try {
      const web = await WsClient.open(`${two.addresses[0]}/lobby?format=json`);
      await web.waitJson((m) => m.type === 'members');
      const ncat = spawn('ncat', ['127.0.0.1', one.addresses[0]?.split(':').pop() ?? ''], { stdio: ['pipe', 'pipe', 'ignore'] });
      let heard = '';
      ncat.stdout.on('data', (c: Buffer) => (heard += c.toString()));
      ncat.stdin.write('across instances\n');
      const m = await web.waitJson((x) => x.type === 'message');
      assert.equal(m.data, 'across instances');
      web.ws.send('and back');
      while (!heard.includes('\n')) await once(ncat.stdout, 'data');
      assert.equal(heard, 'and back\n');
      await redis.kill();
      await two.s.waitForStderr(/"level":50.*lost/);
      ncat.stdin.end();
      await once(ncat, 'exit');
      web.close();
      two.s.child.kill('SIGTERM');
      assert.equal((await two.s.exited).code, 0);
      const lost = two.s.stderr().split('\n').filter((l) => l.includes(' lost ('));
      assert.equal(lost.length, 1, two.s.stderr());
      assert.match(lost[0] ?? '', new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis.port} lost`));
    } finally {
      await one.s.stop();
      await two.s.stop();
      await redis.stop();
    }
  });

  it('Redis unreachable at start: one line naming it (password hidden), exit 69; --redis-optional starts anyway', async () => {
    const port = await freePort();
    const r = await runCli(['relay', 'ws://127.0.0.1:0', '--redis', `redis://:hunter2@127.0.0.1:${port}`]);
    assert.equal(r.code, 69);
    assert.equal(r.stderr, `netecho: connection refused by Redis at redis://:***@127.0.0.1:${port}\n`);
    const optional = await startRelay(['ws://127.0.0.1:0', '--redis', `redis://127.0.0.1:${port}`, '--redis-optional']);
    try {
      await optional.s.waitForStderr(/connection refused by Redis at .*: starting without it/);
      const [x, y] = [await WsClient.open(`${optional.addresses[0]}/solo`), await WsClient.open(`${optional.addresses[0]}/solo`)];
      x.ws.send('alone is fine');
      assert.equal((await y.count(1))[0]?.data.toString(), 'alone is fine');
      x.close();
      y.close();
    } finally {
      await optional.s.stop();
    }
  });
});

describe('netecho relay --workers (CLI)', () => {
  it('without Redis the workers share rooms through the primary: delivery, /who, history; SIGTERM says 1001 to everyone', async () => {
    const started = await startRelay(['ws://127.0.0.1:0', 'tcp://127.0.0.1:0', '--workers', '3', '--history', '20']);
    try {
      const [ws, tcp] = started.addresses as [string, string];
      // Six clients, handed out round-robin to the three workers; each hears who is in once it is in.
      const clients: WsClient[] = [];
      for (let i = 0; i < 6; i++) {
        const c = await WsClient.open(`${ws}/hall?format=json&name=w${i}`);
        const members = await c.waitJson((m) => m.type === 'members');
        assert.equal(members.count, i + 1);
        clients.push(c);
      }
      const line = await LineClient.open(Number(tcp.split(':').pop()));
      line.send('/join hall', '/who');
      await line.waitLine(/^\* in hall: guest-\d+, w0, w1, w2, w3, w4, w5$/);
      for (let i = 0; i < 50; i++) clients[0]?.ws.send(`n${i}`);
      for (const c of clients.slice(1)) {
        await c.waitJson((m) => m.data === 'n49');
        assert.deepEqual(c.json().filter((m) => m.type === 'message').map((m) => m.data), Array.from({ length: 50 }, (_, i) => `n${i}`));
      }
      await line.waitLine(/^n49$/);
      assert.equal(line.lines.filter((l) => /^n\d+$/.test(l)).length, 50);
      // Back with the id of n39: n40..n49 from the primary's history.
      const id = String(clients[1]?.json().find((m) => m.data === 'n39')?.id);
      const back = await WsClient.open(`${ws}/hall?format=json&since=${id}`);
      await back.waitJson((m) => m.data === 'n49');
      assert.deepEqual(back.json().filter((m) => m.type === 'message').map((m) => m.data), ['n40', 'n41', 'n42', 'n43', 'n44', 'n45', 'n46', 'n47', 'n48', 'n49']);
      started.s.child.kill('SIGTERM');
      for (const c of [...clients, back]) assert.equal(await c.closed(), 1001);
      await line.waitLine(/^\* the relay is shutting down$/);
      assert.equal((await started.s.exited).code, 0);
      assert.equal(started.s.stderr().split('\n').filter((l) => l.includes('"msg":"stopped"')).length, 4);
    } finally {
      await started.s.stop();
    }
  });
});
