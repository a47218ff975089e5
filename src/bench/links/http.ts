/**
 * HTTP links: one keep-alive HTTP/1.1 connection per link, written and read directly (the client's TCP or TLS
 * dial, a request prepared once per payload, ResponseReader for the replies), so the load generator spends its
 * time on the server's replies rather than on a general-purpose client. Requests may be pipelined.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { dialTcp, dialTls } from '../../client/connect.js';
import { ProtocolError, TimeoutError } from '../../errors.js';
import { ResponseReader } from './http-response.js';
import type { Link, LinkOptions, OnEcho, OnStatus } from './link.js';

/**
 * HTTP as a Link: each write is one POST of the message; the echo is the reply's body: netecho's reflection (its
 * `body` decoded per `bodyEncoding`) or, from a server that echoes raw bytes, the body itself. A reply that is not
 * 2xx goes to `onStatus` (the connection carries on, as wrk and autocannon do); a 2xx with other bytes is
 * delivered as a mismatch.
 */
class HttpLink extends EventEmitter implements Link {
  readonly #socket: net.Socket;
  readonly #head: string;
  readonly #reader: ResponseReader;
  #payload: Buffer | null = null;
  #request: Buffer = Buffer.alloc(0);

  constructor(socket: net.Socket, head: string, reader: ResponseReader) {
    super();
    this.#socket = socket;
    this.#head = head;
    this.#reader = reader;
    socket.on('drain', () => this.emit('drain'));
    socket.on('end', () => {
      if (this.#reader.end()) this.emit('error', new ProtocolError('the server closed the connection in the middle of an HTTP response'));
      this.emit('end');
    });
    socket.on('close', () => this.emit('close'));
    socket.on('error', (err) => this.emit('error', err));
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** The length of the message being sent: every reply's echo must have it. */
  get payloadLength(): number {
    return this.#payload?.length ?? 0;
  }

  write(data: Buffer): boolean {
    if (data !== this.#payload) {
      this.#payload = data;
      this.#request = Buffer.concat([Buffer.from(`${this.#head}${data.length}\r\n\r\n`, 'latin1'), data]);
    }
    return this.#socket.write(this.#request);
  }

  cork(): void {
    this.#socket.cork();
  }

  uncork(): void {
    this.#socket.uncork();
  }

  resume(): void {
    this.#socket.resume();
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
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

/** Hand each reply to the engine: a 2xx as its echo (of the message's length, or one that cannot match), else its status. */
function onReply(onEcho: OnEcho, onStatus: OnStatus, size: () => number) {
  return (status: number, body: Buffer): void => {
    if (status < 200 || status > 299) return onStatus(status);
    const echo = reflected(body);
    const n = size();
    // A reply of another length is never the echo: make it one the engine will see differ.
    onEcho(echo.length === n ? echo : Buffer.alloc(n, ~(echo[0] ?? 0)), n);
  };
}

/** Open one HTTP connection and prove it speaks HTTP (a HEAD request) before handing it to the engine. */
export async function dialHttpLink(o: LinkOptions): Promise<Link> {
  const e = o.endpoint;
  const path = e.path || '/';
  const host = `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
  let link: HttpLink | null = null;
  let probe: ((status: number) => void) | null = null;
  const reply = onReply(o.onEcho, o.onStatus, () => link?.payloadLength ?? 0);
  const reader = new ResponseReader((status, body) => {
    if (probe !== null) {
      const p = probe;
      probe = null;
      p(status);
    } else {
      reply(status, body);
    }
  });
  // A reply that cannot be read ends the connection with ERR_NETECHO_PROTOCOL ('error': the probe's, then the link's).
  const feed = (buf: Buffer, len: number): void => {
    try {
      reader.push(buf, len);
    } catch (err) {
      socket.destroy(err as Error);
    }
  };
  const dial = { timeoutMs: o.timeoutMs, localAddress: o.localAddress, tls: o.tls };
  const socket: net.Socket =
    e.scheme === 'https'
      ? await dialTls(e, dial)
      : await dialTcp(e, { ...dial, onread: { buffer: o.buffer, callback: (n: number, buf: Uint8Array) => (feed(buf as Buffer, n), true) } });
  if (e.scheme === 'https') socket.on('data', (chunk: Buffer) => feed(chunk, chunk.length));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`no reply to a HEAD request from ${e.scheme}://${host} within ${o.timeoutMs} ms`)), o.timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      const ended = (): void => fail(new ProtocolError(`${e.scheme}://${host} closed the connection instead of answering a HEAD request`));
      socket.once('error', fail);
      socket.once('end', ended);
      probe = () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.off('end', ended);
        resolve();
      };
      reader.expectBodiless();
      socket.write(`HEAD ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  link = new HttpLink(socket, `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: `, reader);
  return link;
}
