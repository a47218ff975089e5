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
import { clientTlsOptions, type ClientTlsOptions } from '../client/tls-options.js';
import type { Endpoint } from '../endpoint.js';

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

function settle(socket: net.Socket, event: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
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
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => o.onEcho(chunk, chunk.length));
  return settle(socket, 'secureConnect', o.timeoutMs);
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
