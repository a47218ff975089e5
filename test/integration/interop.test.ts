import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCliServer, type RunningServer } from '../helpers/cli.js';
import { PEERS_DIR, freePort, missing, runTool, startPeerServer, stopPeer } from '../helpers/peers.js';

describe('interop with real peers', () => {
  let s: RunningServer;
  before(async () => {
    s = await startCliServer(['tcp://127.0.0.1:0', '--quiet']);
  });
  after(() => s.stop());

  it("the tutorial's asyncio client against netecho serve prints Received: Hello, World!", { skip: missing('python3') }, async () => {
    const r = await runTool('python3', [join(PEERS_DIR, 'tutorial_client.py'), String(s.port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'Send: Hello, World!\nReceived: Hello, World!\n');
  });

  it("netecho send against the tutorial's threaded server gets its echo", { skip: missing('python3') }, async () => {
    const port = await freePort();
    const peer = await startPeerServer('python3', [join(PEERS_DIR, 'tutorial_threaded_server.py'), String(port)], port);
    try {
      const r = await runCli(['send', `tcp://127.0.0.1:${port}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Send: Hello, World!\nReceived: Hello, World!\n');
      const input = randomBytes(256 * 1024);
      const stream = await runCli(['send', `tcp://127.0.0.1:${port}`, '--verify'], { input });
      assert.equal(stream.code, 0, stream.stderr);
      assert.ok(stream.stdoutBytes.equals(input));
      const pings = await runCli(['send', `tcp://127.0.0.1:${port}`, '--count', '3', '--interval', '10ms', '--json']);
      assert.deepEqual((JSON.parse(pings.stdout) as { received: number }).received, 3);
    } finally {
      await stopPeer(peer);
    }
  });

  it("netecho send against the tutorial's first server (one client at a time) gets its echo", { skip: missing('python3') }, async () => {
    const port = await freePort();
    const peer = await startPeerServer('python3', [join(PEERS_DIR, 'tutorial_echo_server.py'), String(port)], port);
    try {
      const r = await runCli(['send', `tcp://127.0.0.1:${port}`, 'first server']);
      assert.deepEqual([r.code, r.stdout], [0, 'Send: first server\nReceived: first server\n']);
      const input = randomBytes(64 * 1024);
      const stream = await runCli(['send', `tcp://127.0.0.1:${port}`, '--verify'], { input });
      assert.equal(stream.code, 0, stream.stderr);
      assert.ok(stream.stdoutBytes.equals(input));
    } finally {
      await stopPeer(peer);
    }
  });

  it('ncat sends 2 MiB and half-closes: it gets exactly those bytes back', { skip: missing('ncat') }, async () => {
    const input = randomBytes(2 * 1024 * 1024);
    const r = await runTool('ncat', ['127.0.0.1', String(s.port)], input);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, input.length);
    assert.ok(r.stdout.equals(input));
  });

  it('socat sends binary data with every byte value and gets it back', { skip: missing('socat') }, async () => {
    const input = Buffer.concat(Array.from({ length: 64 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))));
    const r = await runTool('socat', ['-t', '10', '-', `TCP:127.0.0.1:${s.port}`], input);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(input));
  });

  // (ncat --exec cat is no echo peer: it closes the socket when the client half-closes, before cat has answered.)
  it('netecho send streams through socat acting as an echo server', { skip: missing('socat') }, async () => {
    const port = await freePort();
    const peer = await startPeerServer('socat', ['-t', '5', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'PIPE'], port);
    try {
      const input = randomBytes(128 * 1024);
      const r = await runCli(['send', `tcp://127.0.0.1:${port}`, '--verify'], { input });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdoutBytes.equals(input));
    } finally {
      await stopPeer(peer);
    }
  });
});
