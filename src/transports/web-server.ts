/**
 * The web listeners' plumbing, shared by the echo (web.ts) and the relay: an HTTP/1.1 server (https:// with TLS,
 * HTTP/2 beside it when the app wants it) whose connections are admitted by the server's limits at TCP accept,
 * each one WebConnection, in HTTP mode until it upgrades. What a request or an upgrade gets is the app's.
 *
 * Limits from docs/security.md: header timeout 10 s and request timeout 30 s (408), at most 100 headers and
 * 16 KiB of them (431); TLS handshakes bounded by tls.handshakeTimeout; every refusal is JSON.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { WebSocket } from 'ws';
import type { ServerHttp2Session } from 'node:http2';
import type { Endpoint } from '../endpoint.js';
import { addHttp2 } from './http2.js';
import { armStall, disarmStall } from '../limits/stall.js';
import { AdmittedConnection } from './connection.js';
import { admitSocket } from './admit.js';
import { tcpSocketOf } from './describe.js';
import { sendJson, sendRawJson, targetPath } from './reflect.js';
import { httpHighWaterMark, listenStream } from './listen.js';
import { onTlsClientError, tlsServerOptions } from './tls-server.js';
import { closeInfo, type CloseReason, type Listener, type ListenerContext } from './transport.js';
import type { UpgradeTarget } from './websocket-gate.js';

const kWeb = Symbol('netecho.web.connection');
type WebSocketOf = net.Socket & { [kWeb]?: WebConnection };

export class WebConnection extends AdmittedConnection implements UpgradeTarget {
  ws: WebSocket | null = null;
  /** Replies not yet done (pipelined requests are answered in order). */
  readonly pending = new Set<http.ServerResponse>();
  /** The socket HTTP/1.1 speaks on (the TLS socket for https). */
  http: net.Socket | null = null;
  /** The HTTP/2 session, when the connection speaks HTTP/2. */
  h2: ServerHttp2Session | null = null;
  stallSentMark = 0;

  /** Reply bytes waiting for a client that is not reading (Node stops parsing its next request meanwhile). */
  queued(): number {
    return (this.http ?? this.wire).writableLength;
  }

  /** Bytes whose write completed: a reply stuck behind a client that reads nothing never adds to it. */
  sent(): number {
    const socket = this.http ?? this.wire;
    return socket.bytesWritten - socket.writableLength;
  }

  busy(): boolean {
    return this.pending.size > 0 && this.ws === null;
  }

  protected onFinish(): void {
    if (this.ws !== null) this.ws.close(1001, 'server shutting down');
    else if (this.h2 !== null) this.h2.close(); // GOAWAY: streams under way finish, no new ones
    else if (this.pending.size === 0) (this.http ?? this.wire).end();
    // Replies still to come say they are the last; the connection ends once they are out.
    else for (const res of this.pending) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.ws?.terminate();
    this.h2?.destroy();
    this.wire.destroy();
  }
}

function reportClose(conn: WebConnection, context: ListenerContext): void {
  disarmStall(conn);
  context.closed(conn, closeInfo(conn, conn.reason ?? 'client-closed', conn.wire.bytesRead, conn.wire.bytesWritten));
}

function wireOf(socket: net.Socket): WebSocketOf {
  return tcpSocketOf<WebSocketOf>(socket);
}

const STATUS_FOR_CLIENT_ERROR: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/** What runs on a web listener: the echo's reflection and WebSocket echo, or the relay's rooms. */
export interface WebApp {
  /** Offer HTTP/2 (ALPN on https://, h2c on http://). */
  readonly http2: boolean;
  /**
   * Answer a request (Host checked, bookkeeping done). Call `done` once the reply is written or abandoned (on
   * res 'close'). HTTP/2 requests come here too, through the compatibility API.
   */
  request(req: http.IncomingMessage, res: http.ServerResponse, conn: WebConnection, done: () => void): void;
  /** An HTTP/1.1 upgrade on an admitted connection, while the server is not closing. */
  upgrade(conn: WebConnection, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void;
  /** The listener is closing (stop heartbeats and timers; open connections are the server's to drain). */
  close(): void;
}

/** Listen on `endpoint` (http, https, ws or wss) for `app`. */
export function listenWebApp(endpoint: Endpoint, context: ListenerContext, app: WebApp): Promise<Listener> {
  const scheme = endpoint.scheme;
  const secure = scheme === 'https' || scheme === 'wss';
  const h = context.settings.http;
  const material = context.tls;
  const base: http.ServerOptions = {
    headersTimeout: h.headersTimeoutMs,
    requestTimeout: h.requestTimeoutMs,
    maxHeaderSize: h.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(h.headersTimeoutMs / 4) || 1000)),
    noDelay: true,
    // Checked in the request handler, so the refusal is JSON like every reply.
    requireHostHeader: false,
  };
  // So that --max-queued holds for HTTP as for streams (pipelined requests wait while replies do).
  const highWaterMark = httpHighWaterMark(context);
  if (highWaterMark !== undefined) base.highWaterMark = highWaterMark;
  if (secure && material === null) throw new Error('listenWeb: no TLS material'); // serve() loads it for secure schemes
  const server: http.Server =
    secure && material !== null
      ? https.createServer({
          ...base,
          ...tlsServerOptions(material, context.settings, {
            // https:// offers HTTP/2 too (http2.ts hands those connections over); wss:// is WebSocket over HTTP/1.1.
            ALPNProtocols: app.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
          }),
        })
      : http.createServer(base);
  server.maxHeadersCount = h.maxHeaders + 1; // one more than allowed, so the handler can see the flood and say 431
  let closing = false;

  server.on('connection', (raw: WebSocketOf) => {
    const admitted = admitSocket(context, scheme, raw);
    if (admitted === null) return;
    const { id, remoteAddress, remotePort } = admitted;
    const conn = new WebConnection(raw, scheme, { id, remoteAddress, remotePort });
    raw[kWeb] = conn;
    // Reported on the next tick: a TLS handshake's failure is reported (tlsClientError) just after this event.
    raw.once('close', () => process.nextTick(reportClose, conn, context));
    context.opened(conn, conn);
  });

  server.on('tlsClientError', onTlsClientError((wire) => (wire as WebSocketOf)[kWeb], wireOf));

  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const wire = wireOf(socket);
    const conn = wire[kWeb];
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      // The client went away (before its TLS handshake, or mid-request): nothing to answer.
      if (conn !== undefined) conn.reason ??= wire.bytesRead === 0 ? 'client-closed' : 'client-reset';
      socket.destroy();
      return;
    }
    const status = STATUS_FOR_CLIENT_ERROR[err.code ?? ''] ?? 400;
    if (conn !== undefined) conn.reason ??= status === 408 ? 'idle-timeout' : 'protocol-error';
    if ((socket as net.Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    sendRawJson(socket, status, status === 431 ? 'request headers too large' : status === 408 ? 'request timeout' : `bad request (${err.code ?? 'unparsable'})`);
    socket.destroySoon?.();
  });

  /** Every request, HTTP/1.1 or HTTP/2 (its compatibility API has the same shape). */
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse, h2: boolean): void => {
    const conn = wireOf(req.socket)[kWeb];
    if (conn === undefined) {
      req.socket.destroy();
      return;
    }
    if (!h2 && conn.http === null) {
      conn.http = req.socket;
      req.socket.on('drain', () => disarmStall(conn));
    }
    conn.pending.add(res);
    const started = performance.now();
    res.once('close', () =>
      context.request({
        id: conn.id,
        transport: scheme,
        remoteAddress: conn.remoteAddress,
        remotePort: conn.remotePort,
        method: req.method ?? '',
        path: targetPath(req.url ?? ''),
        status: res.statusCode,
        bytesOut: Number(res.getHeader('content-length') ?? 0),
        durationMs: performance.now() - started,
      }),
    );
    // Watched while requests are answered: a reply that cannot be written out (a client pipelining requests and
    // never reading) closes the connection after --send-stall-timeout without progress. (HTTP/2 has flow control
    // and at most MAX_CONCURRENT_STREAMS replies in progress.)
    if (!h2) armStall(conn, context.limits.sendStallTimeoutMs);
    if (closing || conn.finishing) {
      if (h2) conn.h2?.close();
      else res.setHeader('Connection', 'close');
    }
    if (h2) {
      // HTTP/2 has no header timeout of its own: a stream silent for the request timeout is answered 408.
      req.setTimeout(h.requestTimeoutMs, () => {
        if (!res.headersSent) sendJson(res, 408, { error: 'request timeout' });
        else res.destroy();
      });
    }
    const done = (): void => {
      conn.pending.delete(res);
      // Finished while this request was being answered: the reply said Connection: close, so go now.
      if (conn.finishing && conn.pending.size === 0 && conn.ws === null) (conn.http ?? conn.wire).end();
    };
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      // HTTP/1.1 requires Host (RFC 9112 3.2); Node's own refusal would not be JSON.
      req.resume();
      res.once('close', done);
      sendJson(res, 400, { error: 'missing Host header (required by HTTP/1.1)' }, { Connection: 'close' });
      return;
    }
    if (context.page(req, res)) {
      res.once('close', done);
      return;
    }
    app.request(req, res, conn, done);
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => onRequest(req, res, false));
  if (app.http2) {
    addHttp2(server, secure, h, {
      session: (session, socket) => {
        const conn = wireOf(socket)[kWeb];
        if (conn === undefined) session.destroy();
        else conn.h2 = session;
      },
      request: (req, res) => onRequest(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse, true),
      silent: (socket) => {
        const conn = wireOf(socket)[kWeb];
        if (conn !== undefined) conn.reason ??= 'idle-timeout';
        socket.destroy();
      },
    });
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const conn = wireOf(socket)[kWeb];
    if (conn === undefined) {
      socket.destroy();
      return;
    }
    if (closing || conn.finishing) {
      sendRawJson(socket, 503, 'server shutting down');
      return;
    }
    app.upgrade(conn, req, socket, head);
  });

  // Closing: stop the heartbeat; after server.close() stops accepting, close keep-alive connections with no
  // request in progress (the others get Connection: close on their reply).
  return listenStream(server, endpoint, context, () => {
    closing = true;
    app.close();
    setImmediate(() => server.closeIdleConnections());
  });
}
