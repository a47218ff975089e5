/**
 * WebSocket echo (with ws): each message comes back with its own type, text or binary. Used by the ws:// and
 * wss:// listeners and for upgrades on http:// and https:// (web.ts owns the HTTP server and the connection).
 *
 * Limits: messages above websocket.maxMessage close with 1009 (ws's maxPayload, counted across fragments;
 * empty fragments are not stored, and more than 16,384 fragments close with 1008); invalid UTF-8 in text
 * closes with 1007 (ws); permessage-deflate is off
 * unless asked for; a ping every websocket.heartbeat drops clients that did not answer the last one;
 * an Origin allow-list refuses other origins with 403. Backpressure as for streams: above maxQueued bytes
 * waiting for a client, stop reading from it; no progress for sendStallTimeout closes it.
 */
import type http from 'node:http';
import type net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { armStall, disarmStall, type StallWatched } from '../limits/stall.js';
import { describeSocket } from './describe.js';
import { sendRawJson } from './reflect.js';
import type { CloseReason, PeerInfo, TransportContext } from './transport.js';

/** What websocket.ts needs from the connection that carries the upgrade (web.ts's WebConnection). */
export interface UpgradeTarget extends PeerInfo {
  ws: WebSocket | null;
  reason: CloseReason | null;
  finishing: boolean;
}

/** Per-client state, found on the socket (no closure per client). */
class Echo implements StallWatched {
  alive = true;
  paused = false;
  stallTimer: NodeJS.Timeout | null = null;
  stallMark = 0;

  constructor(
    readonly ws: WebSocket,
    readonly target: UpgradeTarget,
    readonly context: TransportContext,
  ) {}

  queued(): number {
    return this.ws.bufferedAmount;
  }

  stalled(): void {
    this.target.reason ??= 'send-stall';
    this.ws.terminate();
  }
}

/** What netecho says when it (or ws for it) closes with a code that has no reason of its own. */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1001: 'server shutting down',
  1007: 'invalid UTF-8 in a text message',
  1008: 'too many fragments in one message',
  1009: 'message too big',
};

/** ws closes 1007/1008/1009 itself, with no reason: this class gives each close code its reason. */
class ReasonedWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    super.close(code, data === undefined && code !== undefined ? CLOSE_REASONS[code] : data);
  }
}

const kEcho = Symbol('netecho.websocket.echo');
type EchoWebSocket = WebSocket & { [kEcho]: Echo };

/** Fragments allowed in one message. */
export const MAX_FRAGMENTS = 16 * 1024;

/** Close codes ws uses for what it refuses, and the reason netecho logs. */
const REASON_FOR_CODE: Record<number, CloseReason> = {
  1002: 'protocol-error',
  1008: 'protocol-error',
  1007: 'protocol-error',
  1009: 'message-too-big',
};

export class WebSocketEcho {
  readonly #context: TransportContext;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<EchoWebSocket>();
  readonly #heartbeat: NodeJS.Timeout | null;
  readonly #transport: string;

  constructor(context: TransportContext, transport: string) {
    this.#context = context;
    this.#transport = transport;
    const ws = context.settings.websocket;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: ws.maxMessageBytes,
      perMessageDeflate: ws.deflate,
      // ws's own defaults (8.23+), named here because docs/security.md promises them: more fragments in one
      // message, or more unparsed chunks, close with 1008.
      maxFragments: MAX_FRAGMENTS,
      maxBufferedChunks: 256 * 1024,
      WebSocket: ReasonedWebSocket,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
    // ws's own refusals (bad method, missing Sec-WebSocket-Key or -Version...) in netecho's JSON shape.
    this.#wss.on('wsClientError', (err: Error, socket: net.Socket) => {
      const status = err.message === 'Invalid HTTP method' ? 405 : 400;
      const extra: Record<string, string> = status === 405 ? { Allow: 'GET' } : /Version/.test(err.message) ? { 'Sec-WebSocket-Version': '13, 8' } : {};
      sendRawJson(socket, status, `WebSocket upgrade refused: ${err.message}`, extra);
    });
    this.#heartbeat = ws.heartbeatMs > 0 ? setInterval(() => this.#beat(), ws.heartbeatMs) : null;
    this.#heartbeat?.unref();
  }

  /** Handle an HTTP upgrade request on an admitted connection. */
  upgrade(target: UpgradeTarget, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const origins = this.#context.settings.websocket.origins;
    if (origins !== null) {
      const origin = req.headers.origin;
      if (origin === undefined || !origins.includes(origin)) {
        sendRawJson(socket, 403, 'origin not allowed');
        return;
      }
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      sendRawJson(socket, 400, 'only WebSocket upgrades are served');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(target, ws as EchoWebSocket, req));
  }

  /** Stop the heartbeat (the listener is closing; open clients are the server's to drain). */
  close(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
  }

  #open(target: UpgradeTarget, ws: EchoWebSocket, req: http.IncomingMessage): void {
    target.ws = ws;
    ws[kEcho] = new Echo(ws, target, this.#context);
    this.#clients.add(ws);
    ws.on('message', this.#context.settings.dump ? wsOnMessageDumping : wsOnMessage);
    ws.on('pong', wsOnPong);
    ws.on('error', wsOnError);
    ws.on('close', (code: number) => {
      this.#clients.delete(ws);
      const echo = ws[kEcho];
      disarmStall(echo);
      const reason = REASON_FOR_CODE[code];
      if (reason !== undefined) target.reason ??= reason;
    });
    if (this.#context.settings.describe) ws.send(JSON.stringify(describeSocket(this.#transport, req.socket)));
    if (target.finishing) ws.close(1001, 'server shutting down');
  }

  #beat(): void {
    for (const ws of this.#clients) {
      const echo = ws[kEcho];
      if (!echo.alive) {
        echo.target.reason ??= 'heartbeat-timeout';
        ws.terminate();
        continue;
      }
      echo.alive = false;
      ws.ping();
    }
  }
}

function wsOnMessageDumping(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const echo = (this as EchoWebSocket)[kEcho];
  echo.context.dump(echo.target, data, isBinary ? 'binary' : 'text');
  wsOnMessage.call(this, data, isBinary);
}

function wsOnMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const echo = (this as EchoWebSocket)[kEcho];
  if (echo.target.finishing) return;
  const max = echo.context.limits.maxQueuedBytes;
  if (echo.paused || this.bufferedAmount + data.length < max) {
    this.send(data, { binary: isBinary });
    return;
  }
  // This send crosses the queue limit: stop reading until it is written (everything before it is, too).
  echo.paused = true;
  this.pause();
  this.send(data, { binary: isBinary }, onSent.bind(this as EchoWebSocket));
  armStall(echo, echo.context.limits.sendStallTimeoutMs);
}

function onSent(this: EchoWebSocket): void {
  const echo = this[kEcho];
  if (echo.paused) {
    echo.paused = false;
    disarmStall(echo);
    this.resume();
  }
}

function wsOnPong(this: WebSocket): void {
  (this as EchoWebSocket)[kEcho].alive = true;
}

/** ws closes the connection itself (1002, 1007, 1009); its error code names the reason to log. */
function wsOnError(this: WebSocket, err: NodeJS.ErrnoException): void {
  const echo = (this as EchoWebSocket)[kEcho];
  const code = err.code ?? '';
  echo.target.reason ??= code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'message-too-big' : code.startsWith('WS_ERR_') ? 'protocol-error' : 'error';
}
