import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { closed, connect, connectOutcome, rawServer, readBytes, readToEnd, startServer, type TestServer } from '../helpers/net.js';
import { BIN, runCli, startCliServer } from '../helpers/cli.js';
import { missing, runTool } from '../helpers/peers.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('netecho (CLI conventions)', () => {
  it('--help prints usage on stdout and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: netecho \[options\] \[command\]/);
    assert.match(r.stdout, /serve \[options\] \[url\.\.\.\]/);
    assert.equal(r.stderr, '');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.deepEqual([r.code, r.stdout], [0, `${pkg.version}\n`]);
  });

  it('no command: usage on stderr, exit 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: netecho/);
  });

  const usageErrors: Array<[string[], string]> = [
    [['serve', '--bogus'], "netecho: unknown option '--bogus'\n"],
    [['frobnicate'], "netecho: unknown command 'frobnicate'\n"],
    [['sned', 'hi'], "netecho: unknown command 'sned' (did you mean send?)\n"],
    [['send', '--ping'], "netecho: unknown option '--ping' (did you mean --pin?)\n"],
    [['serve', 'localhost:65432'], 'netecho: invalid URL "localhost:65432": missing scheme (for example tcp://localhost:65432)\n'],
    [['serve', 'tcp://127.0.0.1:70000'], 'netecho: invalid URL "tcp://127.0.0.1:70000": port "70000" is not a number from 0 to 65535\n'],
    [['send', 'tcp://127.0.0.1:0'], 'netecho: invalid URL "tcp://127.0.0.1:0": port 0 cannot be connected to (use 1 to 65535)\n'],
    [['send', 'ftp://127.0.0.1:21', 'x'], 'netecho: invalid URL "ftp://127.0.0.1:21": unknown scheme "ftp" (use tcp, tls, udp, ws, wss, http, https)\n'],
    [['serve', '--idle-timeout', '5'], 'netecho: invalid --idle-timeout: "5" needs a unit (for example 5s or 5ms)\n'],
    [['serve', '--max-queued', 'huge'], 'netecho: invalid --max-queued: "huge" (expected a size such as 64, 1KiB, 64KiB, 1MiB)\n'],
    [['serve', '--max-connections', '-3'], "netecho: invalid --max-connections: \"-3\" (expected a whole number >= 1)\n"],
    [['serve', '--log-format', 'xml'], 'netecho: invalid --log-format: "xml" (use text or json)\n'],
    [['send', 'tcp://127.0.0.1:9', '--count', 'many'], 'netecho: invalid --count: "many" (expected a whole number >= 1)\n'],
    [['send', 'tcp://127.0.0.1:9', 'x', '--retries', '3'], 'netecho: --retries is for udp:// (not tcp://)\n'],
    [['send', 'http://127.0.0.1:9', 'x', '--verify'], 'netecho: --verify is not for http:// (the reply is a reflection, not an echo)\n'],
    [['serve', 'https://127.0.0.1:0'], 'netecho: https:// needs a certificate: give --cert and --key, or --self-signed\n'],
    [['serve', 'tls://127.0.0.1:0', '--cert', '/nonexistent.pem', '--key', '/nonexistent.pem'], 'netecho: cannot read --cert "/nonexistent.pem": no such file or directory\n'],
    [['serve', 'tls://127.0.0.1:0', '--key', 'k.pem'], 'netecho: --key needs --cert\n'],
    [['serve', 'http://127.0.0.1:0', '--header-timeout', '40s'], 'netecho: invalid --header-timeout: longer than --request-timeout\n'],
    [['serve', 'http://127.0.0.1:0', '--cors', 'not-an-origin'], 'netecho: invalid --cors: "not-an-origin" ("*" for any origin, or one origin like https://app.example)\n'],
    [['send', 'tcp://127.0.0.1:9', '--lines'], 'netecho: --lines is for ws:// and wss:// (text messages), not tcp://\n'],
    [['serve', 'ws://127.0.0.1:0', '--origin', 'example.com'], 'netecho: invalid --origin: "example.com" is not an origin like https://example.com\n'],
  ];
  for (const [args, message] of usageErrors) {
    it(`${args.join(' ')}: one line, exit 2`, async () => {
      const r = await runCli(args);
      assert.equal(r.stderr, message);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});

describe('netecho serve (CLI)', () => {
  it('prints the resolved URL on stdout, and exits 71 with one line when the port is in use', async () => {
    const s = await startCliServer();
    try {
      assert.match(s.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
      await s.waitForStderr(/INFO {2}listening on tcp:\/\/127\.0\.0\.1:\d+/);
      const r = await runCli(['serve', s.url]);
      assert.equal(r.code, 71);
      assert.equal(r.stderr, `netecho: cannot listen on ${s.url}: address already in use\n`);
      assert.equal(r.stdout, '');
    } finally {
      await s.stop();
    }
  });

  it('an address not on this machine: one line, exit 71', async () => {
    const r = await runCli(['serve', 'tcp://192.0.2.1:0']);
    assert.deepEqual([r.code, r.stderr], [71, 'netecho: cannot listen on tcp://192.0.2.1:0: address not available on this machine\n']);
  });

  // As root with runuser, the CLI runs as nobody, which needs this Node and this checkout readable by everyone.
  const asNobody = ['-u', 'nobody', '--', process.execPath, BIN];
  const canDropPrivileges = process.getuid?.() === 0 && !missing('runuser') && spawnSync('runuser', [...asNobody, '--version']).status === 0;
  it('a privileged port without privileges: one line, exit 77', { skip: canDropPrivileges ? false : 'needs root, runuser, and a Node and checkout that nobody can run' }, async () => {
    // Runs as nobody, who cannot bind below 1024; nothing is ever bound.
    const r = await runTool('runuser', [...asNobody, 'serve', 'tcp://127.0.0.1:80']);
    assert.equal(r.code, 77);
    assert.equal(r.stderr, 'netecho: cannot listen on tcp://127.0.0.1:80: permission denied (ports below 1024 need privileges)\n');
  });

  it('--json prints the addresses as one JSON object; --log-format json writes pino lines', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--json', '--log-format', 'json']);
    try {
      const parsed = JSON.parse(s.url) as { addresses: string[] };
      assert.equal(parsed.addresses.length, 1);
      const port = Number(parsed.addresses[0]?.split(':').pop());
      const sock = await connect(port);
      const echoed = readToEnd(sock);
      sock.end('x');
      await echoed;
      await s.waitForStderr(/"msg":"close"/);
      const lines = s.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const close = lines.find((l) => l.msg === 'close');
      assert.deepEqual([close?.in, close?.out, close?.reason], [1, 1, 'client-closed']);
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
    } finally {
      await s.stop();
    }
  });

  it('SIGTERM under load: refuses new connections, a streaming client gets every byte back, exits 0 when it leaves', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--quiet']);
    try {
      const client = await connect(s.port);
      const all: Buffer[] = [];
      let received = 0;
      client.on('data', (c: Buffer) => (received += c.length));
      const first = randomBytes(256 * 1024);
      all.push(first);
      client.write(first);
      s.child.kill('SIGTERM');
      await s.waitForStderr(/SIGTERM: draining 1 connection/);
      assert.equal(await connectOutcome(s.port), 'ECONNREFUSED');
      for (let i = 0; i < 8; i++) {
        const more = randomBytes(128 * 1024);
        all.push(more);
        if (!client.write(more)) await once(client, 'drain');
      }
      const ended = once(client, 'end');
      client.end();
      await ended;
      assert.equal(received, Buffer.concat(all).length);
      const { code } = await s.exited;
      assert.equal(code, 0);
      await closed(client);
    } finally {
      await s.stop();
    }
  });

  it('at --drain-timeout, closes what is left and exits 0; a second signal forces exit 143', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--quiet', '--drain-timeout', '300ms']);
    try {
      const idle = await connect(s.port);
      idle.write('hold');
      assert.equal((await readBytes(idle, 4)).toString(), 'hold');
      const start = Date.now();
      s.child.kill('SIGTERM');
      await once(idle, 'end');
      const { code } = await s.exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - start >= 280, `drained for ${Date.now() - start} ms`);
      await s.waitForStderr(/drain deadline: finishing 1 connection/);
      idle.destroy();
    } finally {
      await s.stop();
    }
    const t = await startCliServer(['tcp://127.0.0.1:0', '--quiet']);
    try {
      const c = await connect(t.port);
      c.on('error', () => {}); // a forced close may reset: that is what "at once" means
      t.child.kill('SIGTERM');
      await t.waitForStderr(/draining/);
      t.child.kill('SIGTERM');
      assert.equal((await t.exited).code, 143);
      await closed(c);
    } finally {
      await t.stop();
    }
  });

  it('--drain-timeout 1s with a client that never closes: exits 0 by the deadline; a forced close counts server-destroyed', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--drain-timeout', '1s', '--log-format', 'json']);
    try {
      const idle = await connect(s.port);
      idle.on('error', () => {});
      idle.pause();
      await s.waitForStderr(/"msg":"open"/);
      const start = Date.now();
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
      const ms = Date.now() - start;
      assert.ok(ms < 1800, `exited after ${ms} ms`);
      assert.match(s.stderr(), /"msg":"drain deadline: finishing 1 connection\(s\), closing them in 250ms"/);
      assert.match(s.stderr(), /"closed.drain-deadline":1/);
      idle.destroy();
    } finally {
      await s.stop();
    }
    const t = await startCliServer(['tcp://127.0.0.1:0', '--log-format', 'json']);
    try {
      const c = await connect(t.port);
      c.on('error', () => {});
      await t.waitForStderr(/"msg":"open"/);
      t.child.kill('SIGTERM');
      await t.waitForStderr(/draining/);
      t.child.kill('SIGTERM');
      assert.equal((await t.exited).code, 143);
      assert.match(t.stderr(), /"closed.server-destroyed":1/);
      assert.doesNotMatch(t.stderr(), /drain-deadline/);
      c.destroy();
    } finally {
      await t.stop();
    }
  });

  it('logs refusals with their reason, at most 20 lines a second, then a count', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--max-connections', '1', '--log-format', 'json']);
    try {
      const held = await connect(s.port);
      await s.waitForStderr(/"msg":"open"/);
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => connectOutcome(s.port)));
      assert.deepEqual(new Set(outcomes), new Set(['ECONNRESET']));
      s.child.kill('SIGTERM');
      held.end();
      await closed(held);
      assert.equal((await s.exited).code, 0);
      const lines = s.stderr().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; reason?: string; count?: number });
      const refusals = lines.filter((l) => l.msg === 'refused');
      const counted = lines.filter((l) => l.msg.startsWith('refused (lines suppressed')).reduce((n, l) => n + (l.count ?? 0), 0);
      assert.ok(refusals.length <= 20 * 2, `${refusals.length} refusal lines`);
      assert.equal(refusals.length + counted, 30);
      assert.equal(refusals[0]?.reason, 'max-connections');
      const stop = lines.find((l) => l.msg === 'stopped') as Record<string, unknown> | undefined;
      assert.equal(stop?.['refused.max-connections'], 30);
    } finally {
      await s.stop();
    }
  });

  it('--workers 2: both processes serve the same port and drain on SIGTERM', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--workers', '2', '--log-format', 'json']);
    try {
      const echoes = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const c = await connect(s.port);
          const r = readToEnd(c);
          c.end(`msg ${i}`);
          return (await r).toString();
        }),
      );
      assert.deepEqual(echoes, Array.from({ length: 20 }, (_, i) => `msg ${i}`));
      await s.waitForStderr(/"msg":"close"/);
      const pids = new Set(
        s
          .stderr()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { msg: string; worker?: number })
          .filter((l) => l.msg === 'close' || l.msg === 'open')
          .map((l) => l.worker),
      );
      assert.ok(pids.size >= 1);
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
      assert.equal(await connectOutcome(s.port), 'ECONNREFUSED');
    } finally {
      await s.stop();
    }
  });
});

describe('netecho send (CLI)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.server.destroy());

  it('prints Send:/Received: like the tutorial client', async () => {
    const r = await runCli(['send', t.url]);
    assert.equal(r.stdout, 'Send: Hello, World!\nReceived: Hello, World!\n');
    assert.equal(r.code, 0);
    const r2 = await runCli(['send', t.url, 'héllo wörld']);
    assert.equal(r2.stdout, 'Send: héllo wörld\nReceived: héllo wörld\n');
  });

  it('--json: one JSON document with the echo and timings', async () => {
    const r = await runCli(['send', t.url, 'hi', '--json']);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([doc.url, doc.bytesSent, doc.bytesReceived, doc.match, doc.echo], [t.url, 2, 2, true, 'hi']);
    assert.equal(typeof doc.rttMs, 'number');
  });

  it('streams stdin to the server and the echo to stdout, exact bytes', async () => {
    const input = randomBytes(3 * 1024 * 1024);
    const r = await runCli(['send', t.url, '--verify'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdoutBytes.equals(input));
    const dash = await runCli(['send', t.url, '-'], { input: 'via dash' });
    assert.equal(dash.stdout, 'via dash');
  });

  it('ping mode prints each round trip and a summary; --json prints the summary only', async () => {
    const r = await runCli(['send', t.url, 'ping!', '--count', '3', '--interval', '20ms']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `ECHO ${t.url}: 5 bytes per message`);
    for (let i = 1; i <= 3; i++) assert.match(lines[i] ?? '', new RegExp(`^5 bytes from ${t.url}: seq=${i} time=\\d+\\.\\d{3} ms$`));
    assert.match(r.stdout, /\n3 sent, 3 received, 0% loss, time \d+ ms\nrtt min\/avg\/max\/stddev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms\n$/);
    const j = await runCli(['send', t.url, '--count', '2', '--interval', '10ms', '--json']);
    const doc = JSON.parse(j.stdout) as { sent: number; received: number; lost: number; rtt: { min: number } };
    assert.deepEqual([doc.sent, doc.received, doc.lost], [2, 2, 0]);
    assert.ok(doc.rtt.min > 0);
  });

  it('connection refused: one line, exit 69', async () => {
    const gone = await startServer();
    const url = gone.url;
    await gone.server.destroy();
    const r = await runCli(['send', url]);
    assert.deepEqual([r.code, r.stderr, r.stdout], [69, `netecho: connection refused by ${url}\n`, '']);
  });

  it('a server that never echoes: timeout, exit 75', async () => {
    const silent = await rawServer(() => {});
    try {
      const r = await runCli(['send', `tcp://127.0.0.1:${silent.port}`, 'anyone?', '--timeout', '200ms']);
      assert.equal(r.code, 75);
      assert.equal(r.stderr, `netecho: timed out after 200 ms waiting for the echo from tcp://127.0.0.1:${silent.port} (0 of 7 bytes)\n`);
    } finally {
      await silent.close();
    }
  });

  it('--verify catches a corrupting server: exit 65; without --verify the echo is printed as is', async () => {
    const corrupt = await rawServer((s) => s.on('data', (c: Buffer) => s.write(Buffer.from(c.toString().toUpperCase()))));
    try {
      const url = `tcp://127.0.0.1:${corrupt.port}`;
      const r = await runCli(['send', url, 'abc', '--verify']);
      assert.equal(r.code, 65);
      assert.equal(r.stderr, `netecho: echo from ${url} differs from what was sent (first difference at byte 0)\n`);
      const plain = await runCli(['send', url, 'abc']);
      assert.deepEqual([plain.code, plain.stdout], [0, 'Send: abc\nReceived: ABC\n']);
      const p = await runCli(['send', url, 'abc', '--count', '2', '--interval', '10ms', '--verify', '--quiet']);
      assert.equal(p.code, 65);
      assert.match(p.stdout, /2 echo\(es\) differed/);
    } finally {
      await corrupt.close();
    }
  });

  it('a server that closes early: exit 74', async () => {
    const rude = await rawServer((s) => s.once('data', () => s.end('x')));
    try {
      const r = await runCli(['send', `tcp://127.0.0.1:${rude.port}`, 'hello']);
      assert.equal(r.code, 74);
      assert.equal(r.stderr, `netecho: tcp://127.0.0.1:${rude.port} closed the connection after 1 of 5 bytes\n`);
    } finally {
      await rude.close();
    }
  });
});

describe('--json output and help details', () => {
  let t: TestServer;
  let web: TestServer;
  before(async () => {
    t = await startServer();
    web = await startServer({ listen: 'http://127.0.0.1:0' });
  });
  after(async () => {
    await t.server.destroy();
    await web.server.destroy();
  });

  /** Every number with a fraction in a JSON document has at most 3 decimals (milliseconds to microseconds). */
  const roundedTo3 = (text: string): void => {
    assert.doesNotMatch(text, /\d\.\d{4,}/, text);
  };

  it('send, ping, get and bench --json round milliseconds to microseconds', async () => {
    for (const args of [
      ['send', t.url, 'x', '--json'],
      ['send', t.url, '--count', '3', '--interval', '10ms', '--json'],
      ['get', web.url, '--json'],
      ['bench', t.url, '-c', '1', '-d', '200ms', '--warmup', '0', '--json'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      JSON.parse(r.stdout);
      roundedTo3(r.stdout);
    }
  });

  it('send http:// --json has the shape of every send --json, with the reflection inside', async () => {
    const r = await runCli(['send', `${web.url}/path`, 'hello', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { url: string; bytesSent: number; bytesReceived: number; connectMs: number; rttMs: number; status: number; reply: { method: string; path: string; body: string } };
    assert.deepEqual(Object.keys(doc), ['url', 'bytesSent', 'bytesReceived', 'connectMs', 'rttMs', 'status', 'reply']);
    assert.deepEqual([doc.url, doc.bytesSent, doc.status, doc.reply.method, doc.reply.path, doc.reply.body], [`${web.url}/path`, 5, 200, 'POST', '/path', 'hello']);
    assert.ok(doc.bytesReceived > 0 && doc.rttMs >= 0 && doc.connectMs >= 0);
  });

  it('bench --help names every scheme it speaks', async () => {
    const r = await runCli(['bench', '--help']);
    for (const scheme of ['tcp', 'tls', 'udp', 'ws', 'wss', 'http', 'https']) assert.match(r.stdout, new RegExp(`\\b${scheme}\\b`), scheme);
  });
});
