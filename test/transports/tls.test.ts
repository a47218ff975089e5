import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { send, serve, type EchoServer } from '../../src/index.js';
import { until } from '../helpers/net.js';
import { missing, runTool, runToolUntil } from '../helpers/peers.js';
import { makePki, type Pki } from '../helpers/pki.js';

function portOf(url: string): number {
  return Number(url.slice(url.lastIndexOf(':') + 1));
}

/** Connect with TLS, send `data`, half-close, and resolve with everything that came back. */
function tlsEcho(port: number, data: Buffer, options: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = tls.connect({ host: '127.0.0.1', port, allowHalfOpen: true, ...options } as tls.ConnectionOptions, () => s.end(data));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const skipOpenssl = missing('openssl');

describe('TLS echo', { skip: skipOpenssl }, () => {
  let pki: Pki;
  let server: EchoServer;
  let port: number;
  before(async () => {
    pki = makePki();
    server = await serve({ listen: 'tls://127.0.0.1:0', tls: { cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey) } });
    port = portOf(server.addresses[0] ?? '');
  });
  after(async () => {
    await server.destroy();
    pki.remove();
  });

  it('echoes every byte through TLS, half-close included, verified against the CA', async () => {
    const data = randomBytes(300_000);
    const got = await tlsEcho(port, data, { ca: pki.pem(pki.caCert) });
    assert.equal(got.length, data.length);
    assert.ok(got.equals(data));
  });

  it('property: bytes written in any chunking come back exactly, through TLS', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 5000 }), { minLength: 1, maxLength: 8 }), async (chunks) => {
        const data = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const got = await new Promise<Buffer>((resolve, reject) => {
          const out: Buffer[] = [];
          const s = tls.connect({ host: '127.0.0.1', port, allowHalfOpen: true, ca: pki.pem(pki.caCert) } as tls.ConnectionOptions, () => {
            for (const c of chunks) s.write(c);
            s.end();
          });
          s.on('data', (c: Buffer) => out.push(c));
          s.on('end', () => resolve(Buffer.concat(out)));
          s.on('error', reject);
        });
        assert.ok(got.equals(data));
      }),
      { numRuns: 25 },
    );
  });

  it('reports its certificate fingerprint', () => {
    assert.match(server.certificate?.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(server.certificate?.selfSigned, false);
  });

  it('send() over tls:// with --ca; an untrusted certificate fails with ERR_NETECHO_TLS', async () => {
    const r = await send(`tls://127.0.0.1:${port}`, 'Hello, TLS!', { tls: { ca: pki.pem(pki.caCert) } });
    assert.equal(r.echo.toString(), 'Hello, TLS!');
    await assert.rejects(send(`tls://127.0.0.1:${port}`, 'x'), {
      code: 'ERR_NETECHO_TLS',
      message: `TLS with tls://127.0.0.1:${port} failed: the certificate is not signed by a trusted CA (pass tls.ca with its CA, or tls.insecure)`,
    });
    const insecure = await send(`tls://127.0.0.1:${port}`, 'y', { tls: { insecure: true } });
    assert.equal(insecure.echo.toString(), 'y');
  });

  it('--servername is checked against the certificate', async () => {
    const ok = await send(`tls://127.0.0.1:${port}`, 'a', { tls: { ca: pki.pem(pki.caCert), servername: 'localhost' } });
    assert.equal(ok.echo.toString(), 'a');
    await assert.rejects(send(`tls://127.0.0.1:${port}`, 'a', { tls: { ca: pki.pem(pki.caCert), servername: 'example.com' } }), {
      code: 'ERR_NETECHO_TLS',
    });
  });

  it('prefers AES-128-GCM as Go and browsers do, unless the client puts ChaCha20-Poly1305 first', async () => {
    const cipherWith = (ciphers?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert), ...(ciphers !== undefined && { ciphers }) }, () => {
          resolve(s.getCipher().standardName);
          s.end();
        });
        s.on('error', reject);
      });
    // Node's client offers AES-256-GCM first; the server's order wins.
    assert.equal(await cipherWith(), 'TLS_AES_128_GCM_SHA256');
    assert.equal(await cipherWith('TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256'), 'TLS_CHACHA20_POLY1305_SHA256');
    assert.equal(await cipherWith('TLS_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384');
    const r = await runToolUntil('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', pki.caCert], 'x', (o) => o.includes('Cipher is'));
    assert.match(r.stdout.toString(), /Cipher is ECDHE-(RSA|ECDSA)-AES128-GCM-SHA256/);
  });

  it('refuses TLS 1.1 (minimum 1.2)', async () => {
    const r = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-CAfile', pki.caCert], '');
    assert.notEqual(r.code, 0);
    const ok = await runToolUntil('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-quiet', '-CAfile', pki.caCert], 'tls12\n', (o) => o.length >= 6);
    assert.equal(ok.stdout.toString(), 'tls12\n');
  });

  it('openssl s_client gets its bytes back', async () => {
    const input = 'Hello, World!\nline two\n';
    const r = await runToolUntil('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-verify_return_error', '-CAfile', pki.caCert], input, (o) => o.length >= input.length);
    assert.equal(r.stdout.toString(), input);
  });

  it('closes a connection that never finishes the handshake (slow handshake)', async () => {
    const slow = await serve({ listen: 'tls://127.0.0.1:0', tls: { cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey), handshakeTimeout: '200ms' } });
    try {
      const reasons: string[] = [];
      slow.on('close', (c) => reasons.push(c.reason));
      const raw = net.connect({ port: portOf(slow.addresses[0] ?? ''), host: '127.0.0.1' });
      raw.on('error', () => {});
      await once(raw, 'close');
      await until(() => reasons.length === 1, 5000, 'the close event');
      assert.deepEqual(reasons, ['handshake-timeout']);
      assert.equal(slow.stats.closed['handshake-timeout'], 1);
    } finally {
      await slow.destroy();
    }
  });
});

describe('mutual TLS', { skip: skipOpenssl }, () => {
  let pki: Pki;
  let server: EchoServer;
  let port: number;
  before(async () => {
    pki = makePki();
    server = await serve({
      listen: 'tls://127.0.0.1:0',
      describe: true,
      tls: { cert: pki.pem(pki.serverCert), key: pki.pem(pki.serverKey), clientCa: pki.pem(pki.caCert) },
    });
    port = portOf(server.addresses[0] ?? '');
  });
  after(async () => {
    await server.destroy();
    pki.remove();
  });

  it('serves a client with a certificate signed by the client CA, and describes it', async () => {
    const got = await tlsEcho(port, Buffer.from('mutual'), { ca: pki.pem(pki.caCert), cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) });
    const text = got.toString();
    const newline = text.indexOf('\n');
    const description = JSON.parse(text.slice(0, newline)) as { transport: string; client: { address: string }; server: { port: number }; tls: { protocol: string; clientCertificate: { subject: string; issuer: string } } };
    assert.equal(text.slice(newline + 1), 'mutual');
    assert.equal(description.transport, 'tls');
    assert.equal(description.client.address, '127.0.0.1');
    assert.equal(description.server.port, port);
    assert.match(description.tls.protocol, /^TLSv1\.[23]$/);
    assert.equal(description.tls.clientCertificate.subject, 'CN=test client, O=netecho');
    assert.equal(description.tls.clientCertificate.issuer, 'CN=netecho test CA');
  });

  it('refuses openssl s_client without a client certificate, and with a certificate from another CA', async () => {
    const before = server.stats.closed['handshake-failed'];
    const none = await runToolUntil('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', pki.caCert], 'no cert\n', (o) => o.length > 0);
    assert.equal(none.stdout.toString(), '');
    assert.notEqual(none.code, 0);
    const rogue = await runToolUntil(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', pki.caCert, '-cert', pki.rogueCert, '-key', pki.rogueKey],
      'rogue\n',
      (o) => o.length > 0,
    );
    assert.equal(rogue.stdout.toString(), '');
    await until(() => server.stats.closed['handshake-failed'] >= before + 2, 5000, 'both refusals counted');
    const good = await runToolUntil(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', pki.caCert, '-cert', pki.clientCert, '-key', pki.clientKey],
      'good\n',
      (o) => o.toString().endsWith('\ngood\n'),
    );
    assert.match(good.stdout.toString(), /\ngood\n$/);
  });

  it('send() without a client certificate fails with ERR_NETECHO_TLS or a reset, never an echo', async () => {
    await assert.rejects(send(`tls://127.0.0.1:${port}`, 'x', { tls: { ca: pki.pem(pki.caCert) } }), (err: { code: string }) =>
      ['ERR_NETECHO_TLS', 'ERR_NETECHO_CONNECTION_RESET', 'ERR_NETECHO_CONNECTION_CLOSED'].includes(err.code),
    );
  });
});

describe('--self-signed', () => {
  it('makes a certificate for the addresses served, with a SHA-256 fingerprint', async () => {
    const server = await serve({ listen: 'tls://127.0.0.1:0', tls: { selfSigned: true } });
    try {
      const cert = server.certificate;
      assert.ok(cert !== null && cert.selfSigned);
      const x509 = new (await import('node:crypto')).X509Certificate(cert.pem);
      assert.equal(x509.fingerprint256, cert.fingerprint256);
      assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      const r = await send(server.addresses[0] ?? '', 'pinned', { tls: { ca: cert.pem } });
      assert.equal(r.echo.toString(), 'pinned');
    } finally {
      await server.destroy();
    }
  });

  it('a bad key or certificate is refused before listening, naming the option', async () => {
    await assert.rejects(serve({ listen: 'tls://127.0.0.1:0', tls: { cert: 'nope', key: 'nope' } }), {
      code: 'ERR_NETECHO_INVALID_ARGUMENT',
      message: 'invalid tls.cert: not a PEM certificate',
    });
  });
});

describe('connections that close before the TLS handshake', () => {
  it('free their slot at once, counted as client-closed (tls:// and https://), so a cap of 5 never locks clients out', async () => {
    // A long handshake timeout: before the fix, each closed connection held its slot until it passed.
    const server = await serve({ listen: ['tls://127.0.0.1:0', 'https://127.0.0.1:0'], maxConnections: 5, tls: { selfSigned: true, handshakeTimeout: '60s' } });
    try {
      for (const url of server.addresses) {
        const port = portOf(url);
        const before = server.stats.closed['client-closed'];
        // 20 health checks (connect, close, nothing sent), 5 at a time: each waits for the server to close too.
        for (let round = 0; round < 4; round++) {
          await Promise.all(
            Array.from({ length: 5 }, async () => {
              const s = net.connect({ port, host: '127.0.0.1' });
              await once(s, 'connect');
              s.end();
              await once(s, 'close');
            }),
          );
        }
        await until(() => server.stats.closed['client-closed'] === before + 20, 3000, 'the closes counted');
        assert.equal(server.stats.refused['max-connections'], 0, url);
        assert.equal(server.stats.closed['handshake-timeout'], 0, url);
      }
      const r = await send(server.addresses[0] ?? '', 'after the checks', { tls: { ca: server.certificate?.pem } });
      assert.equal(r.echo.toString(), 'after the checks');
    } finally {
      await server.destroy();
    }
  });
});
