/**
 * The relay over WebSocket (ws://, wss://, and upgrades on http:// and https://). A client joins the room its URL
 * path names (ws://host:8765/lobby; "/" is the default room) and each message it sends goes to the room as it is,
 * text as text, binary as binary. Query: ?format=json (envelopes with sender, id and time, and presence),
 * ?echo=1 (its own messages too), ?since=ID (what it missed first), ?name=NAME (without auth), ?token=JWT.
 * A bad room name, a missing or refused token, or a room the token does not cover is refused before the upgrade,
 * as JSON (400, 401, 403).
 */
import type http from 'node:http';
import type net from 'node:net';
import type { WebSocket } from 'ws';
import type { Endpoint } from '../endpoint.js';
import { sendJson, sendRawJson } from '../transports/reflect.js';
import type { CloseReason, Listener } from '../transports/transport.js';
import { listenWebApp, type WebConnection } from '../transports/web-server.js';
import { WebSocketGate } from '../transports/websocket-gate.js';
import { AuthRefusal, roomAllowed } from './auth.js';
import { noticeLine, type Notice, type Publication } from './envelope.js';
import type { RelayContext, RelayHub } from './hub.js';
import { Member, type MemberFormat } from './member.js';
import { checkNickname, roomFromPath } from './names.js';

/** After a kick, how long a client has to read the close frame before it is cut off. */
const KICK_GRACE_MS = 1000;
/** WebSocket.OPEN. */
const OPEN = 1;

class WsMember extends Member {
  readonly ws: WebSocket;
  readonly conn: WebConnection;
  /** Its TCP (or TLS) socket: without an extension, a publication's frame is written to it as it is. */
  readonly #socket: net.Socket | null;

  constructor(ws: WebSocket, conn: WebConnection, socket: net.Socket, init: ConstructorParameters<typeof Member>[0]) {
    super(init);
    this.ws = ws;
    this.conn = conn;
    this.#socket = ws.extensions === '' ? socket : null;
  }

  queued(): number {
    return this.ws.bufferedAmount;
  }

  protected write(pub: Publication): void {
    // The frame made once for the whole room, through the same socket as ws's own writes (so in order with them).
    if (this.#socket !== null && this.ws.readyState === OPEN) this.#socket.write(pub.frame(this.format));
    else if (this.format === 'json') this.ws.send(pub.json());
    else if (this.format === 'chat') this.ws.send(pub.chatLine().subarray(0, -1).toString('utf8'));
    else this.ws.send(pub.data, { binary: pub.binary });
  }

  protected writeNotice(notice: Notice): void {
    if (this.format === 'json') this.ws.send(JSON.stringify(notice));
    else if (this.format === 'chat') this.ws.send(noticeLine(notice));
  }

  kick(reason: CloseReason, message: string): void {
    this.conn.reason ??= reason;
    this.closed = true;
    this.ws.close(1008, message.slice(0, 120));
    // A client that reads nothing never sees the close frame behind its queue: it does not get to hold the slot.
    setTimeout(() => this.ws.terminate(), KICK_GRACE_MS).unref();
  }
}

/** The bearer token of an upgrade: the Authorization header, or ?token= (browsers cannot set headers). */
function tokenOf(req: http.IncomingMessage, query: URLSearchParams): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (m !== null) return m[1] ?? null;
  }
  return query.get('token');
}

function formatOf(query: URLSearchParams): MemberFormat | null {
  const f = query.get('format') ?? 'raw';
  return f === 'raw' || f === 'json' || f === 'chat' ? f : null;
}

/** Listen for relay clients over WebSocket on `endpoint` (ws, wss, http, https). */
export function listenRelayWeb(endpoint: Endpoint, context: RelayContext): Promise<Listener> {
  const hub = context.hub;
  const gate = new WebSocketGate(context.settings.websocket, context.websocket, hub.settings.maxMessageBytes);
  return listenWebApp(endpoint, context, {
    http2: false,
    request: (req, res, _conn, done) => {
      req.resume();
      res.once('close', done);
      sendJson(res, 426, { error: 'this is a netecho relay: open a WebSocket to /ROOM (?format=json for envelopes)' }, { Upgrade: 'websocket', Connection: 'Upgrade' });
    },
    upgrade: (conn, req, socket, head) => void upgrade(hub, gate, conn, req, socket, head),
    close: () => gate.close(),
  });
}

async function upgrade(hub: RelayHub, gate: WebSocketGate, conn: WebConnection, req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://relay.invalid');
  const refuse = (status: number, error: string, reason: CloseReason = 'protocol-error'): void => {
    conn.reason ??= reason;
    sendRawJson(socket, status, error);
  };
  const where = roomFromPath(url.pathname, hub.settings.room);
  if ('problem' in where) {
    hub.refused('invalid-room', conn.transport, where.problem);
    return refuse(400, where.problem);
  }
  const room = where.room;
  const q = url.searchParams;
  const format = formatOf(q);
  if (format === null) return refuse(400, `invalid format: "${q.get('format') ?? ''}" (use raw, json or chat)`);
  let grants;
  try {
    grants = await hub.authorize(tokenOf(req, q));
  } catch (err) {
    if (!(err instanceof AuthRefusal)) throw err;
    hub.refused('auth', conn.transport, err.message);
    return refuse(err.status, err.message, 'auth-failed');
  }
  if (!roomAllowed(grants, room)) {
    hub.refused('forbidden-room', conn.transport, room);
    return refuse(403, `your token does not let you into ${room}`, 'auth-failed');
  }
  const asked = q.get('name');
  if (grants.name === null && asked !== null && checkNickname(asked) !== null) return refuse(400, `invalid name: "${asked}" ${checkNickname(asked)}`);
  if (socket.destroyed || !gate.check(req, socket)) return;
  gate.accept(conn, req, socket, head, (ws) => {
    const member = new WsMember(ws, conn, socket, {
      key: `${hub.nodeId}/${conn.id}`,
      id: conn.id,
      transport: conn.transport,
      name: grants.name ?? asked ?? `guest-${conn.id}`,
      format,
      echoSelf: hub.settings.echoSelf || q.get('echo') === '1' || q.get('echo') === 'true',
      grants,
      rate: hub.settings.ratePerSecond,
    });
    hub.attach(member);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      gate.counters.messages++;
      hub.publish(member, room, data, isBinary);
    });
    ws.on('close', () => hub.detach(member));
    void hub.join(member, room, q.get('since')).then((refusal) => {
      if (refusal !== null) member.kick('protocol-error', refusal);
    });
  });
}
