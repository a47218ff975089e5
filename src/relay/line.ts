/**
 * The relay over TCP and TLS: a line protocol as small as Twisted's chat. A client starts in the default room;
 * each line is one message to its current room; lines that start with "/" are commands ("//" sends a literal
 * "/"). Replies to commands start with "* ", errors with "! ". In the default format (raw) messages arrive exactly
 * as sent, one per line; "/format chat" shows "[room] name: text" and presence; "/format json" the envelopes.
 * With an auth secret the first line must be "/auth TOKEN", within the handshake timeout.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../endpoint.js';
import { admitSocket } from '../transports/admit.js';
import { AdmittedConnection, type Peer } from '../transports/connection.js';
import { tcpSocketOf } from '../transports/describe.js';
import { listenStream } from '../transports/listen.js';
import { onTlsClientError, tlsServerOptions } from '../transports/tls-server.js';
import { closeInfo, type CloseReason, type Listener } from '../transports/transport.js';
import { AuthRefusal, type Grants } from './auth.js';
import { noticeLine, type Notice, type Publication } from './envelope.js';
import type { RelayContext, RelayHub } from './hub.js';
import { Member } from './member.js';
import { command, type CommandTarget } from './line-commands.js';

const kLine = Symbol('netecho.relay.line');
type Wire = net.Socket & { [kLine]?: LineConnection };

class LineConnection extends AdmittedConnection {
  socket: net.Socket;
  member: LineMember | null = null;
  /**
   * Lines held while something for this connection is under way (its token being checked, a /join or /who),
   * handled in order once it is done; null when nothing is.
   */
  waiting: Buffer[] | null = null;
  /** Bytes of a line not complete yet. */
  partial: Buffer[] = [];
  partialBytes = 0;
  /** The client has sent all it will (FIN): end our side once the lines held are handled. */
  ending = false;

  constructor(wire: net.Socket, transport: string, peer: Peer) {
    super(wire, transport, peer);
    this.socket = wire;
  }

  queued(): number {
    return this.socket.writableLength;
  }

  say(line: string): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(`${line}\n`);
  }

  protected onFinish(): void {
    this.say('* the relay is shutting down');
    this.socket.end();
  }

  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.socket.destroy();
    this.wire.destroy();
  }
}

class LineMember extends Member implements CommandTarget {
  readonly conn: LineConnection;
  /** The room this client's lines go to. */
  current: string | null = null;

  say(line: string): void {
    this.conn.say(line);
  }

  quit(): void {
    this.conn.socket.end();
  }

  constructor(conn: LineConnection, init: ConstructorParameters<typeof Member>[0]) {
    super(init);
    this.conn = conn;
  }

  queued(): number {
    return this.conn.socket.writableLength;
  }

  protected write(pub: Publication): void {
    const s = this.conn.socket;
    if (this.format === 'raw') s.write(pub.line());
    else if (this.format === 'chat') s.write(pub.chatLine());
    else s.write(`${pub.json()}\n`);
  }

  protected writeNotice(notice: Notice): void {
    if (this.format === 'json') this.conn.say(JSON.stringify(notice));
    else if (this.format === 'chat' || notice.type === 'error') this.conn.say(noticeLine(notice));
  }

  kick(reason: CloseReason, message: string): void {
    this.conn.reason ??= reason;
    this.closed = true;
    this.conn.say(`! ${message}`);
    this.conn.socket.end();
    setTimeout(() => this.conn.socket.destroy(), 1000).unref();
  }
}

/** Listen for relay clients speaking lines on `endpoint` (tcp or tls). */
export function listenRelayLines(endpoint: Endpoint, context: RelayContext): Promise<Listener> {
  const hub = context.hub;
  const secure = endpoint.scheme === 'tls';
  const transport = endpoint.scheme;
  const wireOf = (s: net.Socket): Wire => tcpSocketOf<Wire>(s);
  let server: net.Server;
  if (secure) {
    if (context.tls === null) throw new Error('listenRelayLines: no TLS material'); // relay() loads it for tls://
    server = tls.createServer(tlsServerOptions(context.tls, context.settings, { noDelay: true, allowHalfOpen: true } as tls.TlsOptions));
    server.on('tlsClientError', onTlsClientError((w) => (w as Wire)[kLine], wireOf));
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const conn = wireOf(socket)[kLine];
      if (conn === undefined) return void socket.destroy();
      conn.socket = socket;
      start(hub, conn, context.settings.tlsHandshakeTimeoutMs);
    });
  } else {
    // Half-open: lines that came just before the client's FIN are still handled (its token checked, then published).
    server = net.createServer({ noDelay: true, allowHalfOpen: true });
  }
  server.on('connection', (raw: Wire) => {
    const admitted = admitSocket(context, transport, raw);
    if (admitted === null) return;
    const conn = new LineConnection(raw, transport, admitted);
    raw[kLine] = conn;
    // Reported on the next tick: a TLS handshake's failure is reported (tlsClientError) just after this event.
    raw.once('close', () =>
      process.nextTick(() => {
        if (conn.member !== null) hub.detach(conn.member);
        // A TLS connection that never finished its handshake, with no reason from tlsClientError: refused by it.
        const fallback = secure && conn.socket === raw ? 'handshake-failed' : 'client-closed';
        context.closed(conn, closeInfo(conn, conn.reason ?? fallback, raw.bytesRead, raw.bytesWritten));
      }),
    );
    context.opened(conn, conn);
    if (!secure) start(hub, conn, context.settings.tlsHandshakeTimeoutMs);
  });
  return listenStream(server, endpoint, context);
}

/** The connection is up (after its TLS handshake): authenticate it if asked, then it is a member. */
function start(hub: RelayHub, conn: LineConnection, authTimeoutMs: number): void {
  const socket = conn.socket;
  socket.on('error', (err: NodeJS.ErrnoException) => {
    conn.reason ??= err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'client-reset' : 'error';
  });
  socket.on('data', (chunk: Buffer) => onData(hub, conn, chunk));
  socket.on('end', () => {
    // A last line without its newline is a line too.
    if (conn.partialBytes > 0 && conn.partialBytes <= hub.settings.maxMessageBytes) onLine(hub, conn, Buffer.concat(conn.partial));
    conn.partial = [];
    conn.partialBytes = 0;
    conn.ending = true;
    if (conn.waiting === null) conn.socket.end();
  });
  if (!hub.authRequired) {
    conn.waiting = [];
    void become(hub, conn, Promise.resolve(null));
    return;
  }
  const timer = setTimeout(() => {
    if (conn.member !== null) return;
    hub.refused('auth', conn.transport, 'no /auth line in time');
    refuse(conn, `authentication required: send /auth TOKEN as your first line (within ${authTimeoutMs / 1000} s)`);
  }, authTimeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function refuse(conn: LineConnection, message: string): void {
  conn.reason ??= 'auth-failed';
  conn.say(`! ${message}`);
  conn.socket.end();
  setTimeout(() => conn.socket.destroy(), 1000).unref();
}

/** Make the connection a member (with the grants of its token) and put it in the default room. */
async function become(hub: RelayHub, conn: LineConnection, token: Promise<string | null>): Promise<void> {
  let grants: Grants;
  try {
    grants = await hub.authorize(await token);
  } catch (err) {
    if (!(err instanceof AuthRefusal)) throw err;
    hub.refused('auth', conn.transport, err.message);
    return refuse(conn, err.message);
  }
  if (conn.socket.destroyed) return;
  const member = new LineMember(conn, {
    key: `${hub.nodeId}/${conn.id}`,
    id: conn.id,
    transport: conn.transport,
    name: grants.name ?? `guest-${conn.id}`,
    format: 'raw',
    echoSelf: hub.settings.echoSelf,
    grants,
    rate: hub.settings.ratePerSecond,
  });
  conn.member = member;
  hub.attach(member);
  const refusal = await hub.join(member, hub.settings.room, null);
  if (refusal === null) member.current = hub.settings.room;
  else conn.say(`! ${refusal}`);
  resume(hub, conn);
}

/** Something under way for `conn` is done: handle the lines held meanwhile, in order, until one waits again. */
function resume(hub: RelayHub, conn: LineConnection): void {
  const held = conn.waiting ?? [];
  conn.waiting = null;
  while (held.length > 0 && conn.waiting === null) onLine(hub, conn, held.shift() as Buffer);
  if (held.length > 0) (conn.waiting as Buffer[] | null)?.unshift(...held);
  else if (conn.ending && conn.waiting === null) conn.socket.end();
}

/** Run `work` for `conn`, holding its next lines until it is done (commands are answered in order). */
function inOrder(hub: RelayHub, conn: LineConnection, work: Promise<void>): void {
  conn.waiting = [];
  void work.finally(() => resume(hub, conn));
}

function onData(hub: RelayHub, conn: LineConnection, chunk: Buffer): void {
  const max = hub.settings.maxMessageBytes;
  let start = 0;
  for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
    const piece = chunk.subarray(start, nl);
    const line = conn.partialBytes === 0 ? piece : Buffer.concat([...conn.partial, piece]);
    conn.partial = [];
    conn.partialBytes = 0;
    start = nl + 1;
    onLine(hub, conn, line[line.length - 1] === 13 ? line.subarray(0, -1) : line);
  }
  if (start < chunk.length) {
    conn.partial.push(Buffer.from(chunk.subarray(start)));
    conn.partialBytes += chunk.length - start;
    if (conn.partialBytes > max + 1) {
      conn.partial = [];
      conn.partialBytes = 0;
      conn.member?.kick('message-too-big', `line longer than ${max} bytes`);
      if (conn.member === null) refuse(conn, `line longer than ${max} bytes`);
    }
  }
}

function onLine(hub: RelayHub, conn: LineConnection, line: Buffer): void {
  if (conn.waiting !== null) {
    conn.waiting.push(Buffer.from(line)); // something is under way: this line waits its turn
    return;
  }
  const member = conn.member;
  if (member === null) {
    if (!hub.authRequired) return; // a line in the moment before it joined
    // Waiting for /auth, the only line accepted before it.
    const m = /^\/auth\s+(\S+)\s*$/.exec(line.toString('utf8'));
    if (m === null) return refuse(conn, 'authentication required: send /auth TOKEN as your first line');
    conn.waiting = [];
    void become(hub, conn, Promise.resolve(m[1] ?? null));
    return;
  }
  if (member.closed) return;
  if (line.length > hub.settings.maxMessageBytes) return member.kick('message-too-big', `line longer than ${hub.settings.maxMessageBytes} bytes`);
  if (line[0] === 0x2f /* / */ && line[1] !== 0x2f) return command(hub, member, line.toString('utf8'), (work) => inOrder(hub, conn, work));
  const data = line[0] === 0x2f ? line.subarray(1) : line;
  if (member.current === null) return conn.say('! you are in no room: /join ROOM first');
  if (data.length > 0) hub.publish(member, member.current, Buffer.from(data), false);
}
