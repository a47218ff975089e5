/** The "done when": one `netecho serve` with tcp, tls, udp and http, used through the CLI and real peers. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startCliServer, type RunningServer } from '../helpers/cli.js';
import { missing, runTool, runToolUntil } from '../helpers/peers.js';

function portOf(url: string): string {
  return url.slice(url.lastIndexOf(':') + 1);
}

describe('netecho serve tcp:// tls:// udp:// http:// --self-signed', () => {
  let server: RunningServer;
  let addresses: string[];
  let fingerprint: string;
  before(async () => {
    server = await startCliServer(['tcp://127.0.0.1:0', 'tls://127.0.0.1:0', 'udp://127.0.0.1:0', 'http://127.0.0.1:0', '--self-signed', '--json']);
    const printed = JSON.parse(server.url) as { addresses: string[]; fingerprint256: string };
    addresses = printed.addresses;
    fingerprint = printed.fingerprint256;
  });
  after(() => server.stop());

  it('prints every URL with its port, and logs the certificate fingerprint', async () => {
    assert.deepEqual(
      addresses.map((a) => a.replace(/:\d+$/, '')),
      ['tcp://127.0.0.1', 'tls://127.0.0.1', 'udp://127.0.0.1', 'http://127.0.0.1'],
    );
    assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await server.waitForStderr(new RegExp(`self-signed certificate, SHA-256 fingerprint ${fingerprint}`));
  });

  it('netecho send speaks each of them', async () => {
    const [tcp, tls, udp, http] = addresses as [string, string, string, string];
    for (const url of [tcp, udp]) {
      const r = await runCli(['send', url, 'Hello, World!']);
      assert.equal(r.stdout, 'Send: Hello, World!\nReceived: Hello, World!\n', url);
      assert.equal(r.code, 0);
    }
    const untrusted = await runCli(['send', tls, 'hi']);
    assert.equal(untrusted.code, 76);
    assert.equal(untrusted.stderr, `netecho: TLS with ${tls} failed: the certificate is self-signed (pass --ca with it, or --insecure)\n`);
    const insecure = await runCli(['send', tls, 'hi', '--insecure']);
    assert.equal(insecure.stdout, 'Send: hi\nReceived: hi\n');
    const ws = await runCli(['send', http.replace('http://', 'ws://'), 'over ws', '--count', '2', '--interval', '10ms', '--json']);
    assert.equal(ws.code, 0);
    assert.equal((JSON.parse(ws.stdout) as { received: number }).received, 2);
    const reflection = await runCli(['send', `${http}/path?x=1`, 'posted']);
    assert.equal(reflection.code, 0);
    const body = JSON.parse(reflection.stdout) as { method: string; path: string; query: unknown; body: string };
    assert.deepEqual([body.method, body.path, body.query, body.body], ['POST', '/path', { x: '1' }, 'posted']);
  });

  it('stream mode (stdin to the server, the echo to stdout) over tls:// and ws://, exact bytes', async () => {
    const [, tls, , http] = addresses as [string, string, string, string];
    const input = (await import('node:crypto')).randomBytes(1_000_000);
    for (const [url, extra] of [[tls, ['--insecure']], [http.replace('http://', 'ws://'), []]] as const) {
      const r = await runCli(['send', url, '-', '--verify', ...extra], { input });
      assert.equal(r.code, 0, `${url}: ${r.stderr}`);
      assert.ok(r.stdoutBytes.equals(input), url);
    }
  });

  it('real peers: openssl s_client, socat over UDP, curl', { skip: missing('openssl', 'socat', 'curl') }, async () => {
    const [, tls, udp, http] = addresses as [string, string, string, string];
    const s = await runToolUntil('openssl', ['s_client', '-connect', `127.0.0.1:${portOf(tls)}`, '-quiet'], 'tls line\n', (o) => o.length >= 9);
    assert.equal(s.stdout.toString(), 'tls line\n');
    const u = await runTool('socat', ['-t', '2', '-T', '2', '-', `UDP:127.0.0.1:${portOf(udp)}`], 'udp line\n');
    assert.equal(u.stdout.toString(), 'udp line\n');
    const c = await runTool('curl', ['-s', `${http}/curl?status=202`, '-w', '\n%{http_code}']);
    const text = c.stdout.toString();
    assert.match(text, /\n202$/);
    assert.equal((JSON.parse(text.slice(0, text.lastIndexOf('\n'))) as { path: string }).path, '/curl');
  });

  it('bench over tls:// and udp:// verifies every byte', async () => {
    const [, tls, udp] = addresses as [string, string, string, string];
    for (const url of [tls, udp]) {
      const r = await runCli(['bench', url, '-c', '2', '-d', '300ms', '--warmup', '0s', '--insecure', '--json', '--timeout', '1s']);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { roundTrips: number; errors: { total: number }; datagrams: unknown };
      assert.ok(result.roundTrips > 0, url);
      assert.equal(result.errors.total, 0);
      assert.equal(result.datagrams === null, url.startsWith('tls'));
    }
  });

  it('SIGTERM: exits 0 and counts the datagrams in its last line', async () => {
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.match(server.stderr(), /stopped .*datagrams\.received=\d+/);
  });
});

describe('netecho serve tls:// udp:// --self-signed --workers 2', () => {
  it('every worker serves the one certificate the primary made and printed; UDP is shared', async () => {
    const server = await startCliServer(['tls://127.0.0.1:0', 'udp://127.0.0.1:0', '--self-signed', '--workers', '2', '--json']);
    try {
      const printed = JSON.parse(server.url) as { addresses: string[]; fingerprint256: string; workers: number };
      assert.equal(printed.workers, 2);
      const [tls, udp] = printed.addresses as [string, string];
      const { connect } = await import('node:tls');
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const fp = await new Promise<string>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port: Number(portOf(tls)), rejectUnauthorized: false }, () => {
            resolve(s.getPeerCertificate().fingerprint256);
            s.destroy();
          });
          s.on('error', reject);
        });
        seen.add(fp);
      }
      assert.deepEqual([...seen], [printed.fingerprint256]);
      const r = await runCli(['send', udp, 'shared']);
      assert.equal(r.stdout, 'Send: shared\nReceived: shared\n');
    } finally {
      await server.stop();
    }
  });
});
