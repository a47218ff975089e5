/**
 * chat(): a client for a relay, or any WebSocket or line-based chat. Over ws:// and wss:// it asks for JSON
 * envelopes (?format=json) and shows what is not one as a message as it came, so a server that is not netecho works
 * too; over tcp:// and tls:// it speaks lines (a netecho relay's /auth and /nick when given a token or a name).
 */
import type net from 'node:net';
import type WebSocket from 'ws';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromConnectError, invalidOption } from '../errors.js';
import { checkShape, type OptionShape } from '../option-shape.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { Duration } from '../units.js';
import { connectWebSocket } from './channel.js';
import { clientEndpoint, connectStream } from './connect.js';
import { resolveTimeout } from './options.js';
import { CLIENT_TLS_SHAPE, validateClientTls, type ClientTlsOptions } from './tls-options.js';

export interface ChatOptions {
  /** The name to go by (?name= over WebSocket, /nick over lines); a token's name wins. */
  name?: string;
  /** A JWT for a relay that asks for one (Authorization: Bearer over WebSocket, /auth over lines). */
  token?: string;
  /** Connect timeout. Default "5s". */
  timeout?: Duration;
  tls?: ClientTlsOptions;
  signal?: AbortSignal;
}

/** Something from the chat: a message (from null when the server does not say), or a notice. */
export interface ChatEvent {
  type: 'message' | 'join' | 'leave' | 'gap' | 'members' | 'error' | 'info';
  room?: string;
  from?: string | null;
  id?: string;
  ts?: number;
  data?: string;
  /** join/leave/gap/members/error details, as the relay sent them. */
  [key: string]: unknown;
}

export interface ChatEvents {
  event: [event: ChatEvent];
  /** The connection closed: a WebSocket close code (or null over lines) and its reason. */
  close: [info: { code: number | null; reason: string }];
}

const CHAT_SHAPE: OptionShape = { name: 'string', token: 'string', timeout: 'duration', tls: CLIENT_TLS_SHAPE, signal: 'signal' };

export class ChatSession extends TypedEmitter<ChatEvents> {
  readonly url: string;
  readonly #send: (text: string) => void;
  readonly #close: () => void;

  constructor(url: string, send: (text: string) => void, close: () => void) {
    super();
    this.url = url;
    this.#send = send;
    this.#close = close;
  }

  /** Send one message (over lines: one line; a line starting with "/" is a command). */
  send(text: string): void {
    this.#send(text);
  }

  /** Leave: close the connection (WebSocket 1000, or end the line connection). */
  close(): void {
    this.#close();
  }
}

/**
 * Connect to a chat at `url` (ws, wss, tcp or tls).
 * @throws the connect errors of send(), ERR_NETECHO_PROTOCOL (the upgrade refused, for example 401), ERR_NETECHO_INVALID_ARGUMENT
 */
export async function chat(url: string | Endpoint, options: ChatOptions = {}): Promise<ChatSession> {
  checkShape(options, CHAT_SHAPE, 'chat');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, ['ws', 'wss', 'tcp', 'tls'], 'chatting');
  if (options.name !== undefined && /[\s/]/.test(options.name)) throw invalidOption('name', `"${options.name}" (no spaces or /)`);
  const timeoutMs = resolveTimeout(options.timeout);
  return endpoint.scheme === 'ws' || endpoint.scheme === 'wss' ? chatWebSocket(endpoint, options, timeoutMs) : chatLines(endpoint, options, timeoutMs);
}

async function chatWebSocket(endpoint: Endpoint, options: ChatOptions, timeoutMs: number): Promise<ChatSession> {
  const query = new URLSearchParams(endpoint.path.includes('?') ? endpoint.path.slice(endpoint.path.indexOf('?') + 1) : '');
  query.set('format', 'json');
  if (options.name !== undefined) query.set('name', options.name);
  const path = `${endpoint.path.split('?')[0] ?? '/'}?${query}`;
  const ws: WebSocket = await connectWebSocket(
    { ...endpoint, path },
    {
      timeoutMs,
      signal: options.signal,
      tls: options.tls,
      websocket: { headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }, origin: undefined, protocols: [] },
    },
  );
  const session = new ChatSession(formatEndpoint(endpoint), (text) => ws.send(text), () => ws.close(1000));
  ws.on('message', (data: Buffer, binary: boolean) => session.emit('event', parseEvent(data, binary)));
  ws.on('close', (code: number, reason: Buffer) => session.emit('close', { code, reason: reason.toString() }));
  ws.on('error', () => {});
  options.signal?.addEventListener('abort', () => ws.close(1000), { once: true });
  // Messages flow once the caller, back from `await chat()`, has had its turn to listen.
  setImmediate(() => ws.resume());
  return session;
}

/** A relay's JSON envelope, or (from any other server) the message as it came. */
function parseEvent(data: Buffer, binary: boolean): ChatEvent {
  if (!binary && data[0] === 0x7b) {
    try {
      const e = JSON.parse(data.toString('utf8')) as ChatEvent;
      if (typeof e.type === 'string') return e;
    } catch {
      // not an envelope
    }
  }
  return { type: 'message', from: null, data: binary ? `(${data.length} bytes of binary)` : data.toString('utf8') };
}

async function chatLines(endpoint: Endpoint, options: ChatOptions, timeoutMs: number): Promise<ChatSession> {
  const socket: net.Socket = await connectStream(endpoint, { timeoutMs, signal: options.signal, tls: options.tls });
  const target = formatEndpoint(endpoint);
  const session = new ChatSession(target, (text) => socket.write(`${text}\n`), () => socket.end());
  if (options.token !== undefined) socket.write(`/auth ${options.token}\n`);
  if (options.name !== undefined) socket.write(`/nick ${options.name}\n`);
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const text = line.replace(/\r$/, '');
      // A netecho relay's replies ("* ...") and errors ("! ...") are notices; everything else a message.
      if (text.startsWith('* ')) session.emit('event', { type: 'info', data: text.slice(2) });
      else if (text.startsWith('! ')) session.emit('event', { type: 'error', error: text.slice(2) });
      else session.emit('event', { type: 'message', from: null, data: text });
    }
  });
  let error: Error | null = null;
  socket.on('error', (err) => (error = fromConnectError(err, target)));
  socket.on('close', () => session.emit('close', { code: null, reason: error?.message ?? '' }));
  options.signal?.addEventListener('abort', () => socket.end(), { once: true });
  return session;
}
