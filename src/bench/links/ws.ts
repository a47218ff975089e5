/** WebSocket links: the client's dial; each write is one binary message, each message received one echo chunk. */
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { connectWebSocket } from '../../client/channel.js';
import type { Link, LinkOptions, OnEcho } from './link.js';

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

export async function dialWsLink(o: LinkOptions): Promise<Link> {
  const ws = await connectWebSocket(o.endpoint, { timeoutMs: o.timeoutMs, tls: o.tls });
  const link = new WsLink(ws, o.onEcho);
  ws.resume();
  return link;
}
