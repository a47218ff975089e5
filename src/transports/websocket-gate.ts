/**
 * Accepting WebSocket clients, for the echo and the relay alike: the Origin allow-list (403), ws's own refusals
 * answered as JSON, limits (largest message, 1009; more than 16,384 fragments, 1008; permessage-deflate only when
 * asked), a reason with every close code netecho sends, the heartbeat (a ping every interval; a client that did
 * not answer the previous one is dropped), and the close reason each close code stands for.
 */
import type http from 'node:http';
import type net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { sendRawJson } from './reflect.js';
import type { WebSocketSettings } from './settings.js';
import type { CloseReason, PeerInfo, WebSocketCounters } from './transport.js';

/** What a WebSocket connection needs from the connection that carried its upgrade (web-server.ts's WebConnection). */
export interface UpgradeTarget extends PeerInfo {
  ws: WebSocket | null;
  reason: CloseReason | null;
  finishing: boolean;
}

/** Fragments allowed in one message. */
export const MAX_FRAGMENTS = 16 * 1024;

/** What netecho says when it (or ws for it) closes with a code that has no reason of its own. */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1001: 'server shutting down',
  1007: 'invalid UTF-8 in a text message',
  1008: 'too many fragments in one message',
  1009: 'message too big',
};

/** ws closes 1007/1008/1009 itself, with no reason: this class gives each close code its reason. */
class ReasonedWebSocket extends WebSocket {
  /** The code this side closed with first (null: the client closed first, or the connection dropped). */
  sentCode: number | null = null;

  override close(code?: number, data?: string | Buffer): void {
    this.sentCode ??= code ?? 1005;
    super.close(code, data === undefined && code !== undefined ? CLOSE_REASONS[code] : data);
  }
}

/** Close codes ws uses for what it refuses, and the reason netecho logs. */
const REASON_FOR_CODE: Record<number, CloseReason> = {
  1002: 'protocol-error',
  1008: 'protocol-error',
  1007: 'protocol-error',
  1009: 'message-too-big',
};

const kGate = Symbol('netecho.websocket.gate');
type GatedWebSocket = WebSocket & { [kGate]: { target: UpgradeTarget; alive: boolean } };

export class WebSocketGate {
  readonly #settings: WebSocketSettings;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<GatedWebSocket>();
  readonly #heartbeat: NodeJS.Timeout | null;

  /** `maxPayload`: the largest message (default the settings' maxMessageBytes). */
  readonly counters: WebSocketCounters;

  /** `counters`: where messages and close codes are counted (the server's). */
  constructor(settings: WebSocketSettings, counters: WebSocketCounters, maxPayload = settings.maxMessageBytes) {
    this.#settings = settings;
    this.counters = counters;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload,
      perMessageDeflate: settings.deflate,
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
    this.#heartbeat = settings.heartbeatMs > 0 ? setInterval(() => this.#beat(), settings.heartbeatMs) : null;
    this.#heartbeat?.unref();
  }

  /**
   * Refuse an upgrade netecho does not serve (wrong Origin, not WebSocket) with JSON and return false; true when
   * it may go on to accept().
   */
  check(req: http.IncomingMessage, socket: net.Socket): boolean {
    const origins = this.#settings.origins;
    if (origins !== null) {
      const origin = req.headers.origin;
      if (origin === undefined || !origins.includes(origin)) {
        sendRawJson(socket, 403, 'origin not allowed');
        return false;
      }
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      sendRawJson(socket, 400, 'only WebSocket upgrades are served');
      return false;
    }
    return true;
  }

  /** Complete the handshake; `onOpen` gets the client, already on the heartbeat and with its close reasons mapped. */
  accept(target: UpgradeTarget, req: http.IncomingMessage, socket: net.Socket, head: Buffer, onOpen: (ws: WebSocket) => void): void {
    this.#wss.handleUpgrade(req, socket, head, (client) => {
      const ws = client as GatedWebSocket;
      ws[kGate] = { target, alive: true };
      target.ws = ws;
      this.#clients.add(ws);
      ws.on('pong', wsOnPong);
      ws.on('error', wsOnError);
      ws.on('close', (code: number) => {
        this.#clients.delete(ws);
        // Counted by the code of whoever closed first: the server's own (1001, 1009...), else the client's.
        const counted = (ws as unknown as ReasonedWebSocket).sentCode ?? code;
        this.counters.closes[counted] = (this.counters.closes[counted] ?? 0) + 1;
        const reason = REASON_FOR_CODE[code];
        if (reason !== undefined) target.reason ??= reason;
      });
      onOpen(ws);
      if (target.finishing) ws.close(1001);
    });
  }

  /** Stop the heartbeat (the listener is closing; open clients are the server's to drain). */
  close(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
  }

  #beat(): void {
    for (const ws of this.#clients) {
      const g = ws[kGate];
      if (!g.alive) {
        g.target.reason ??= 'heartbeat-timeout';
        ws.terminate();
        continue;
      }
      g.alive = false;
      ws.ping();
    }
  }
}

function wsOnPong(this: WebSocket): void {
  (this as GatedWebSocket)[kGate].alive = true;
}

/** ws closes the connection itself (1002, 1007, 1009); its error code names the reason to log. */
function wsOnError(this: WebSocket, err: NodeJS.ErrnoException): void {
  const g = (this as GatedWebSocket)[kGate];
  const code = err.code ?? '';
  g.target.reason ??= code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'message-too-big' : code.startsWith('WS_ERR_') ? 'protocol-error' : 'error';
}
