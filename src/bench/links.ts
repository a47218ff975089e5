/**
 * How the bench engine reaches a server: one dial function per transport, each resolving with a Link (the few
 * socket methods the engine uses) and feeding echoed bytes to a callback. TCP reads through net's `onread` into
 * the engine's shared buffer (no allocation per read); TLS through 'data'; WebSocket one message per callback.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type WebSocket from 'ws';
import { connectWebSocket } from '../client/channel.js';
import { clientTlsOptions, pinOf, type ClientTlsOptions } from '../client/tls-options.js';
import { pinMismatch, pinnedConnector } from '../client/pin.js';
import { formatEndpoint, type Endpoint } from '../endpoint.js';

/** The part of a socket the engine uses. net.Socket is one; WsLink adapts a WebSocket. */
export interface Link {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
  end(): void;
  destroy(): void;
  resume(): void;
  readonly destroyed: boolean;
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Called with `len` echoed bytes in `buf`; `buf` may be a shared buffer that is reused after the call. */
export type OnEcho = (buf: Buffer, len: number) => void;

export interface DialOptions {
  endpoint: Endpoint;
  localAddress: string | undefined;
  timeoutMs: number;
  tls: ClientTlsOptions | undefined;
  /** The engine's shared read buffer, for onread. */
  buffer: Buffer;
  onEcho: OnEcho;
}

export function dial(o: DialOptions): Promise<Link> {
  switch (o.endpoint.scheme) {
    case 'tls':
      return dialTls(o);
    case 'ws':
    case 'wss':
      return dialWs(o);
    default:
      return dialTcp(o);
  }
}

/** Resolve once `event` fires (and `check` finds nothing wrong); reject on an error or the timeout. */
function settle(socket: net.Socket, event: string, timeoutMs: number, check?: () => Error | null): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      const problem = check?.() ?? null;
      socket.removeAllListeners('error');
      if (problem !== null) {
        socket.destroy();
        reject(problem);
        return;
      }
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

function dialTcp(o: DialOptions): Promise<Link> {
  const socket = net.connect({
    host: o.endpoint.host,
    port: o.endpoint.port,
    noDelay: true,
    allowHalfOpen: true,
    onread: {
      buffer: o.buffer,
      callback: (nread: number, buf: Uint8Array) => {
        o.onEcho(buf as Buffer, nread);
        return true;
      },
    },
    ...(o.localAddress !== undefined && { localAddress: o.localAddress }),
  });
  return settle(socket, 'connect', o.timeoutMs);
}

function dialTls(o: DialOptions): Promise<Link> {
  const socket = tls.connect({
    host: o.endpoint.host,
    port: o.endpoint.port,
    allowHalfOpen: true,
    ...clientTlsOptions(o.endpoint.host, o.tls),
    ...(o.localAddress !== undefined && { localAddress: o.localAddress }),
  } as tls.ConnectionOptions);
  const pin = pinOf(o.tls);
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => o.onEcho(chunk, chunk.length));
  return settle(socket, 'secureConnect', o.timeoutMs, pin === undefined ? undefined : () => pinMismatch(socket, pin, formatEndpoint(o.endpoint)));
}

/** WebSocket messages as a Link: write = one binary message; 'drain' when the send queue falls below the mark. */
class WsLink extends EventEmitter implements Link {
  static readonly HIGH_WATER = 64 * 1024;
  readonly #ws: WebSocket;
  #wantDrain = false;
  readonly #onSent = (): void => {
    if (this.#wantDrain && this.#ws.bufferedAmount < WsLink.HIGH_WATER) {
      this.#wantDrain = false;
      this.emit('drain');
    }
  };

  constructor(ws: WebSocket, onEcho: OnEcho) {
    super();
    this.#ws = ws;
    ws.on('message', (data: Buffer) => onEcho(data, data.length));
    ws.on('close', () => {
      this.emit('end');
      this.emit('close');
    });
    ws.on('error', (err) => this.emit('error', err));
  }

  get destroyed(): boolean {
    return this.#ws.readyState === this.#ws.CLOSED;
  }

  write(data: Buffer): boolean {
    this.#ws.send(data, { binary: true }, this.#onSent);
    if (this.#ws.bufferedAmount < WsLink.HIGH_WATER) return true;
    this.#wantDrain = true;
    return false;
  }

  cork(): void {}
  uncork(): void {}
  resume(): void {}

  end(): void {
    this.#ws.close(1000);
  }

  destroy(): void {
    this.#ws.terminate();
  }
}

async function dialWs(o: DialOptions): Promise<Link> {
  const ws = await connectWebSocket(o.endpoint, { timeoutMs: o.timeoutMs, tls: o.tls });
  return new WsLink(ws, o.onEcho);
}

/** Called with one datagram's echo and the sequence number it carried. */
export type OnDatagram = (buf: Buffer, seq: number) => void;

/**
 * UDP as a Link: each write is one datagram whose first 4 bytes carry the connection's sequence number (the
 * rest is its payload), so the engine can match each echo to its send time, and tell loss and reordering apart.
 */
export class UdpLink extends EventEmitter implements Link {
  readonly #socket: import('node:dgram').Socket;
  #seq = 0;
  #closed = false;

  constructor(socket: import('node:dgram').Socket, onDatagram: OnDatagram) {
    super();
    this.#socket = socket;
    socket.on('message', (msg: Buffer) => onDatagram(msg, msg.length >= 4 ? msg.readUInt32BE(0) : -1));
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => {
      this.#closed = true;
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  /** Sends `data` with the next sequence number in its first 4 bytes (on a copy). */
  write(data: Buffer): boolean {
    const datagram = Buffer.from(data);
    datagram.writeUInt32BE(this.#seq++ >>> 0, 0);
    this.#socket.send(datagram);
    return true;
  }

  cork(): void {}
  uncork(): void {}
  resume(): void {}

  end(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

/** Open a connected UDP socket for the engine. */
export async function dialUdp(o: DialOptions, onDatagram: OnDatagram): Promise<UdpLink> {
  const { openUdp } = await import('../client/udp.js');
  const socket = await openUdp(o.endpoint);
  return new UdpLink(socket, onDatagram);
}

/**
 * HTTP as a Link: each write is one POST of the message on this link's own connection (undici Client); the
 * echo is the reply's body: netecho's reflection (its `body` decoded per `bodyEncoding`) or, from a server that
 * echoes raw bytes, the body itself. A non-2xx reply or a different body is delivered as a mismatch.
 */
class HttpLink extends EventEmitter implements Link {
  readonly #client: import('undici').Client;
  readonly #path: string;
  readonly #onEcho: OnEcho;
  #closed = false;

  constructor(client: import('undici').Client, path: string, onEcho: OnEcho) {
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
export async function dialHttp(o: DialOptions, pipelining: number): Promise<Link> {
  const { Client } = await import('undici');
  const e = o.endpoint;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const client = new Client(`${e.scheme}://${host}:${e.port}`, {
    pipelining,
    connectTimeout: o.timeoutMs,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    ...(e.scheme === 'https' && { connect: pinnedConnector({ ...clientTlsOptions(e.host, o.tls), timeout: o.timeoutMs } as Parameters<typeof pinnedConnector>[0], pinOf(o.tls)) }),
  } as import('undici').Client.Options);
  try {
    const res = await client.request({ path: e.path || '/', method: 'HEAD' });
    await res.body.dump();
  } catch (err) {
    await client.destroy();
    throw err;
  }
  return new HttpLink(client, e.path || '/', o.onEcho);
}
