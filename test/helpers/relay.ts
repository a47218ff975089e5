/** Relay clients for tests: they collect what arrives and let a test wait for it, with a bound, never a sleep. */
import { once } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';

export interface Received {
  data: Buffer;
  binary: boolean;
}

/** Resolve when `check()` holds after an event; fail after `limitMs`. */
function waitFor(emitter: NodeJS.EventEmitter, event: string, check: () => boolean, limitMs: number, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on);
      reject(new Error(`timed out waiting for ${what}`));
    }, limitMs);
    const on = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      emitter.removeListener(event, on);
      resolve();
    };
    emitter.on(event, on);
  });
}

export class WsClient {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  closeCode: number | null = null;
  closeReason = '';

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, binary: boolean) => this.received.push({ data, binary }));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => {});
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const client = new WsClient(ws);
    await once(ws, 'open');
    return client;
  }

  /** The HTTP status an upgrade to `url` is refused with, and its JSON body. */
  static refusal(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: { error: string } }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { error: string } }));
      });
      ws.on('open', () => reject(new Error(`${url} was not refused`)));
      ws.on('error', () => {});
    });
  }

  /** Wait until `n` messages have arrived in all. */
  async count(n: number, limitMs = 5000): Promise<Received[]> {
    await waitFor(this.ws, 'message', () => this.received.length >= n, limitMs, `${n} messages (have ${this.received.length})`);
    return this.received.slice(0, n);
  }

  /** The JSON messages so far, parsed. */
  json(): Array<Record<string, unknown>> {
    return this.received.map((r) => JSON.parse(r.data.toString()) as Record<string, unknown>);
  }

  /** Wait for a JSON message matching `match`; resolves with it. */
  async waitJson(match: (m: Record<string, unknown>) => boolean, limitMs = 5000): Promise<Record<string, unknown>> {
    await waitFor(this.ws, 'message', () => this.json().some(match), limitMs, 'a matching JSON message');
    return this.json().find(match) as Record<string, unknown>;
  }

  async closed(limitMs = 5000): Promise<number> {
    if (this.closeCode === null) await waitFor(this.ws, 'close', () => this.closeCode !== null, limitMs, 'the close');
    return this.closeCode as number;
  }

  close(): void {
    this.ws.close();
  }
}

export class LineClient {
  readonly socket: net.Socket;
  text = '';
  ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (this.text += c));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<LineClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  get lines(): string[] {
    return this.text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  }

  send(...lines: string[]): void {
    this.socket.write(lines.map((l) => `${l}\n`).join(''));
  }

  /** Wait until a line matches `pattern` (or `n` lines have come). */
  async waitLine(pattern: RegExp | number, limitMs = 5000): Promise<string[]> {
    const ok = (): boolean => (typeof pattern === 'number' ? this.lines.length >= pattern : this.lines.some((l) => pattern.test(l)));
    await waitFor(this.socket, 'data', ok, limitMs, `a line ${String(pattern)} (have ${JSON.stringify(this.text)})`);
    return this.lines;
  }

  async ends(limitMs = 5000): Promise<void> {
    if (!this.ended) await waitFor(this.socket, 'close', () => this.ended, limitMs, 'the end');
  }

  close(): void {
    this.socket.destroy();
  }
}
