/** HTTP links: one keep-alive connection (undici Client) per link; each write is one POST. */
import { EventEmitter } from 'node:events';
import { Client } from 'undici';
import { pinnedConnector } from '../../client/pin.js';
import { clientTlsOptions, pinOf } from '../../client/tls-options.js';
import type { Link, LinkOptions, OnEcho } from './link.js';

/**
 * HTTP as a Link: each write is one POST of the message on this link's own connection (undici Client); the
 * echo is the reply's body: netecho's reflection (its `body` decoded per `bodyEncoding`) or, from a server that
 * echoes raw bytes, the body itself. A non-2xx reply or a different body is delivered as a mismatch.
 */
class HttpLink extends EventEmitter implements Link {
  readonly #client: Client;
  readonly #path: string;
  readonly #onEcho: OnEcho;
  #closed = false;

  constructor(client: Client, path: string, onEcho: OnEcho) {
    super();
    this.#client = client;
    this.#path = path;
    this.#onEcho = onEcho;
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  write(data: Buffer): boolean {
    this.#client
      .request({ path: this.#path, method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } })
      .then(async (res) => {
        const bytes = Buffer.from(await res.body.arrayBuffer());
        if (this.#closed) return;
        const echo = res.statusCode >= 200 && res.statusCode < 300 ? reflected(bytes) : Buffer.alloc(0);
        // A reply of another length is never the echo: make it one the engine will see differ.
        this.#onEcho(echo.length === data.length ? echo : Buffer.alloc(data.length, ~(data[0] ?? 0)), data.length);
      })
      .catch((err: NodeJS.ErrnoException) => {
        if (!this.#closed) this.emit('error', err);
      });
    return true;
  }

  cork(): void {}
  uncork(): void {}
  resume(): void {}

  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#client.close().finally(() => this.emit('close'));
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#client.destroy().finally(() => this.emit('close'));
  }
}

/** The echoed bytes in a reply: a netecho reflection's body, or the raw body. */
function reflected(reply: Buffer): Buffer {
  if (reply[0] === 0x7b) {
    try {
      const r = JSON.parse(reply.toString('utf8')) as { body?: unknown; bodyEncoding?: unknown };
      if (typeof r.body === 'string' && (r.bodyEncoding === 'base64' || r.bodyEncoding === 'utf8')) return Buffer.from(r.body, r.bodyEncoding);
      if (r.body === null && 'bodyEncoding' in r) return Buffer.alloc(0);
    } catch {
      // not a reflection: the raw body is the echo
    }
  }
  return reply;
}

/** Open one HTTP connection (a HEAD request proves it) for the engine. */
export async function dialHttpLink(o: LinkOptions): Promise<Link> {
  const pipelining = o.pipeline;
  const e = o.endpoint;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const client = new Client(`${e.scheme}://${host}:${e.port}`, {
    pipelining,
    connectTimeout: o.timeoutMs,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    ...(e.scheme === 'https' && { connect: pinnedConnector({ ...clientTlsOptions(e.host, o.tls), timeout: o.timeoutMs } as Parameters<typeof pinnedConnector>[0], pinOf(o.tls)) }),
  } as Client.Options);
  try {
    const res = await client.request({ path: e.path || '/', method: 'HEAD' });
    await res.body.dump();
  } catch (err) {
    await client.destroy();
    throw err;
  }
  return new HttpLink(client, e.path || '/', o.onEcho);
}
