/**
 * HTTP/2 beside HTTP/1.1 on the same http:// and https:// listeners. The HTTP/1.1 server keeps every connection
 * that speaks HTTP/1.1 (its header and request timeouts, limits and WebSocket upgrades unchanged); a connection
 * that speaks HTTP/2 is handed to an http2 server instead:
 * - https://: the TLS handshake offers h2 and http/1.1 (ALPN); a connection that agreed on h2 goes to HTTP/2;
 * - http://: h2c with prior knowledge, told by its first bytes (the connection preface, "PRI * HTTP/2.0...").
 * Requests arrive on the compatibility API, so one handler answers both.
 */
import type http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import type { HttpSettings } from './settings.js';

/** What a connection carrying HTTP/2 needs from the web listener: where its session goes. */
export interface Http2Hooks {
  /** A new HTTP/2 session on `socket` (the TLS socket for https). */
  session(session: http2.ServerHttp2Session, socket: net.Socket): void;
  /** A request on any session, answered like an HTTP/1.1 one. */
  request(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void;
  /** A connection that sent nothing for the header timeout before its first bytes (h2c detection). */
  silent(socket: net.Socket): void;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Streams open at once on one connection, as most servers allow. */
const MAX_CONCURRENT_STREAMS = 100;

/**
 * Add HTTP/2 to `server` (an http.Server for http://, an https.Server offering h2 by ALPN for https://).
 * Connection-level listeners of `server` run first (admission), then the protocol is chosen.
 */
export function addHttp2(server: http.Server, secure: boolean, settings: HttpSettings, hooks: Http2Hooks): http2.Http2Server {
  const h2 = http2.createServer({
    maxHeaderListPairs: settings.maxHeaders + 4, // the pseudo-headers (:method, :path, :scheme, :authority) count too
    maxSessionMemory: 10, // MiB; the default
    settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: settings.maxHeaderBytes },
  });
  h2.on('session', (session: http2.ServerHttp2Session) => {
    session.on('error', () => {}); // a broken session closes its socket; the close is reported there
    hooks.session(session, session.socket as net.Socket);
  });
  h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => hooks.request(req, res));

  // Node's HTTP/1.1 server has one listener for the event that starts a connection; run it only for HTTP/1.1.
  const event = secure ? 'secureConnection' : 'connection';
  const [http1] = server.listeners(event) as Array<(socket: net.Socket) => void>;
  if (http1 === undefined) throw new Error(`addHttp2: the HTTP/1.1 server has no '${event}' listener`);
  server.removeListener(event, http1);
  if (secure) {
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
      else http1.call(server, socket);
    });
  } else {
    // After the listeners that admit the connection (they were added after Node's own): the first bytes decide.
    server.on('connection', (socket: net.Socket) => {
      if (socket.destroyed) return; // refused at admission
      sniff(socket, settings.headersTimeoutMs, (isH2) => {
        if (isH2 === null) hooks.silent(socket);
        else if (isH2) h2.emit('connection', socket);
        else http1.call(server, socket);
      });
    });
  }
  return h2;
}

/**
 * Read until the first bytes tell HTTP/2's preface from anything else, put them back, and call `decide` (null when
 * nothing came within `timeoutMs`, as a slow client's headers would time out).
 */
function sniff(socket: net.Socket, timeoutMs: number, decide: (isH2: boolean | null) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => finish(null), timeoutMs);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    if (!seen.subarray(0, n).equals(PREFACE.subarray(0, n))) finish(false);
    else if (n === PREFACE.length) finish(true);
  };
  const onEnd = (): void => finish(false);
  function finish(isH2: boolean | null): void {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.pause();
    if (seen.length > 0) socket.unshift(seen);
    decide(isH2);
    // The chosen server reads on from here (the bytes put back come first).
    process.nextTick(() => socket.resume());
  }
  socket.on('data', onData);
  socket.once('end', onEnd);
}
