/**
 * WebSocket echo (with ws): each message comes back with its own type, text or binary. Used by the ws:// and
 * wss:// listeners and for upgrades on http:// and https:// (web-server.ts owns the HTTP server and the
 * connection; websocket-gate.ts accepts clients and keeps their heartbeat and limits).
 *
 * Backpressure as for streams: above maxQueued bytes waiting for a client, stop reading from it; no progress for
 * sendStallTimeout closes it.
 */
import type http from 'node:http';
import type net from 'node:net';
import type { WebSocket } from 'ws';
import { armStall, disarmStall, type StallWatched } from '../limits/stall.js';
import { describeSocket } from './describe.js';
import type { TransportContext } from './transport.js';
import { WebSocketGate, type UpgradeTarget } from './websocket-gate.js';

export type { UpgradeTarget } from './websocket-gate.js';
export { MAX_FRAGMENTS } from './websocket-gate.js';

/** Per-client state, found on the socket (no closure per client). */
class Echo implements StallWatched {
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

const kEcho = Symbol('netecho.websocket.echo');
type EchoWebSocket = WebSocket & { [kEcho]: Echo };

export class WebSocketEcho {
  readonly #context: TransportContext;
  readonly #gate: WebSocketGate;
  readonly #transport: string;

  constructor(context: TransportContext, transport: string) {
    this.#context = context;
    this.#transport = transport;
    this.#gate = new WebSocketGate(context.settings.websocket, context.websocket);
  }

  /** Handle an HTTP upgrade request on an admitted connection. */
  upgrade(target: UpgradeTarget, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    if (!this.#gate.check(req, socket)) return;
    this.#gate.accept(target, req, socket, head, (ws) => this.#open(target, ws as EchoWebSocket, req));
  }

  /** Stop the heartbeat (the listener is closing; open clients are the server's to drain). */
  close(): void {
    this.#gate.close();
  }

  #open(target: UpgradeTarget, ws: EchoWebSocket, req: http.IncomingMessage): void {
    ws[kEcho] = new Echo(ws, target, this.#context);
    ws.on('message', this.#context.settings.dump ? wsOnMessageDumping : wsOnMessage);
    ws.on('close', () => disarmStall(ws[kEcho]));
    if (this.#context.settings.describe) ws.send(JSON.stringify(describeSocket(this.#transport, req.socket)));
  }
}

function wsOnMessageDumping(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const echo = (this as EchoWebSocket)[kEcho];
  echo.context.dump(echo.target, data, isBinary ? 'binary' : 'text');
  wsOnMessage.call(this, data, isBinary);
}

function wsOnMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const echo = (this as EchoWebSocket)[kEcho];
  echo.context.websocket.messages++;
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
