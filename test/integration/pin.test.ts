import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { send } from '../../src/index.js';
import { runCli, startCliServer, type RunningServer } from '../helpers/cli.js';

describe('trusting a self-signed server from the CLI', () => {
  let s: RunningServer;
  let dir: string;
  let certFile: string;
  let fingerprint: string;
  let tls: string;
  let wss: string;
  let https: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netecho-pin-'));
    certFile = join(dir, 'server.pem');
    s = await startCliServer(['tls://127.0.0.1:0', 'wss://127.0.0.1:0', 'https://127.0.0.1:0', '--self-signed', '--cert-out', certFile, '--json']);
    const doc = JSON.parse(s.url) as { addresses: [string, string, string]; fingerprint256: string };
    [tls, wss, https] = doc.addresses;
    fingerprint = doc.fingerprint256;
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--cert-out writes the certificate served: send --ca FILE trusts it', async () => {
    assert.match(readFileSync(certFile, 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
    const r = await runCli(['send', tls, 'via ca', '--ca', certFile]);
    assert.deepEqual([r.code, r.stdout], [0, 'Send: via ca\nReceived: via ca\n'], r.stderr);
  });

  it('--pin sha256:FINGERPRINT on send (tls, wss), get (https), bench (tls) and chat (wss)', async () => {
    const pin = `sha256:${fingerprint}`;
    for (const url of [tls, wss]) {
      const r = await runCli(['send', url, 'pinned', '--pin', pin]);
      assert.deepEqual([r.code, r.stdout], [0, 'Send: pinned\nReceived: pinned\n'], `${url}: ${r.stderr}`);
    }
    const g = await runCli(['get', `${https}/p`, '--pin', pin.replace(/:/g, '').replace('sha256', 'sha256:').toLowerCase()]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal((JSON.parse(g.stdout) as { path: string }).path, '/p');
    const b = await runCli(['bench', tls, '-c', '2', '-d', '200ms', '--warmup', '0', '--pin', pin, '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((JSON.parse(b.stdout) as { errors: { total: number } }).errors.total, 0);
    // An echo is not a relay: chat shows what comes back as it came.
    const c = await runCli(['chat', `${wss}/room`, '--pin', pin], { input: 'pinned chat\n' });
    assert.deepEqual([c.code, c.stdout], [0, 'pinned chat\n'], c.stderr);
  });

  it('a different certificate than the pinned one is refused: exit 76 saying both fingerprints', async () => {
    const wrong = `sha256:${'AB:'.repeat(31)}AB`;
    for (const args of [
      ['send', tls, 'x', '--pin', wrong],
      ['send', wss, 'x', '--pin', wrong],
      ['get', https, '--pin', wrong],
      ['bench', tls, '-c', '2', '-d', '200ms', '--pin', wrong],
      ['chat', `${wss}/room`, '--pin', wrong],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 76, args.join(' '));
      assert.match(r.stderr, new RegExp(`the certificate's SHA-256 fingerprint is ${fingerprint}, not the pinned ${'AB:'.repeat(31)}AB\\n$`), args.join(' '));
    }
    await assert.rejects(send(tls, 'x', { tls: { pin: wrong } }), { code: 'ERR_NETECHO_TLS' });
  });

  it('bad pins and conflicts are usage errors', async () => {
    const bad = await runCli(['send', tls, 'x', '--pin', 'md5:00']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^netecho: invalid --pin: "md5:00" \(expected sha256: and the 64 hex digits/);
    const both = await runCli(['send', tls, 'x', '--pin', `sha256:${fingerprint}`, '--insecure']);
    assert.deepEqual([both.code, both.stderr], [2, 'netecho: conflicting options: --pin and --insecure (a pin is checked; insecure checks nothing)\n']);
    const nowhere = join(dir, 'no', 'such', 'dir', 'server.pem');
    const unwritable = await runCli(['serve', 'tls://127.0.0.1:0', '--self-signed', '--cert-out', nowhere]);
    assert.equal(unwritable.code, 2);
    assert.equal(unwritable.stderr.split('\n').at(-2), `netecho: cannot write --cert-out "${nowhere}": no such file or directory`);
    const noTls = await runCli(['serve', 'tcp://127.0.0.1:0', '--cert-out', join(dir, 'x.pem')]);
    assert.deepEqual([noTls.code, noTls.stderr], [2, 'netecho: --cert-out needs a tls://, wss:// or https:// URL to serve\n']);
  });
});
