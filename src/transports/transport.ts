/**
 * The one interface every transport implements: listen on an endpoint, echo what peers send, and report
 * connections to the server, which owns limits, counting and the drain.
 */
import type http from 'node:http';
import type { Endpoint } from '../endpoint.js';
import type { ServerLimits, TransportSettings } from './settings.js';
import type { TlsMaterial } from './tls-material.js';

/** Why a connection ended. Stable strings: they appear in logs and events. */
export type CloseReason =
  | 'client-closed'
  | 'client-reset'
  | 'idle-timeout'
  | 'send-stall'
  | 'drain-deadline'
  /** A drain told the client to go at once (the relay: WebSocket 1001, or a last line), and it went. */
  | 'server-closing'
  | 'server-destroyed'
  | 'handshake-failed'
  | 'handshake-timeout'
  | 'message-too-big'
  | 'protocol-error'
  | 'heartbeat-timeout'
  /** Relay: the client's credentials were refused (or never came). */
  | 'auth-failed'
  /** Relay: a member whose outgoing queue reached its cap, with the `close` slow-consumer policy. */
  | 'slow-consumer'
  /** Relay: a client far over its message rate. */
  | 'rate-limited'
  | 'error';

/** What became of one datagram (UDP). Stable strings. */
export type DatagramOutcome =
  | 'echoed'
  | 'low-port'
  | 'rate-limited'
  | 'broadcast'
  | 'draining'
  | 'send-failed';

export interface PeerInfo {
  /** Server-assigned id, unique within one server. */
  readonly id: number;
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What a chunk of received data is: bytes of a stream, a WebSocket text or binary message, a datagram. */
export type DataKind = 'bytes' | 'text' | 'binary' | 'datagram';

export interface DataInfo extends PeerInfo {
  readonly kind: DataKind;
  /** A copy: the listener may keep it. */
  readonly data: Buffer;
}

export interface RequestInfo extends PeerInfo {
  readonly method: string;
  /** The request path (no query), as sent. */
  readonly path: string;
  readonly status: number;
  /** Bytes of the reply's body. */
  readonly bytesOut: number;
  readonly durationMs: number;
}

export interface CloseInfo extends PeerInfo {
  readonly reason: CloseReason;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

/** An open connection as the close report needs it. */
export interface OpenConnection extends PeerInfo {
  /** Date.now() when it was admitted. */
  readonly openedAt: number;
}

/** The close report of a connection, with its byte counts. */
export function closeInfo(conn: OpenConnection, reason: CloseReason, bytesIn: number, bytesOut: number): CloseInfo {
  return {
    id: conn.id,
    transport: conn.transport,
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    reason,
    bytesIn,
    bytesOut,
    durationMs: Date.now() - conn.openedAt,
  };
}

/** What the server can ask of any open connection. */
export interface ConnectionHandle {
  /** A number that changes whenever a byte moves either way (for the server's idle sweep). */
  activity(): number;
  /** Bytes received and sent so far. */
  bytes(): { in: number; out: number };
  /** Stop echoing new input, flush what was already read, close the write side, and close once the peer does. */
  finish(reason?: CloseReason): void;
  /** Close at once. */
  destroy(reason: CloseReason): void;
}

/** WebSocket messages received, and closes by close code ("1000", "1009"...). */
export interface WebSocketCounters {
  messages: number;
  closes: Record<string, number>;
}

/** What any listener gets from its server (echo or relay): limits, settings, certificates and bookkeeping. */
export interface ListenerContext {
  readonly limits: ServerLimits;
  readonly settings: TransportSettings;
  /** Certificates, when a secure scheme is served. */
  readonly tls: TlsMaterial | null;
  /** True once the server is draining: datagram transports stop answering. */
  readonly draining: () => boolean;
  /** Ask to admit a peer. Returns an id, or null when a limit refuses it (already counted and reported). */
  admit(transport: string, remoteAddress: string, remotePort: number): number | null;
  /** A connection admitted by admit() is open. */
  opened(handle: ConnectionHandle, info: PeerInfo): void;
  /** A connection reported by opened() has closed; releases its place under the limits. */
  closed(handle: ConnectionHandle, info: CloseInfo): void;
  /** A listener-level problem that does not stop the server (for example EMFILE on accept). */
  warn(err: Error): void;
  /** An HTTP request was answered (for the access log). */
  request(info: RequestInfo): void;
  /** WebSocket counters the transports add to (the server's stats hold the same object). */
  readonly websocket: WebSocketCounters;
  /** The server's own page (/.netecho/): true when it answered the request. */
  page(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

/** What the echo transports get: a listener's context, and the echo server's own reports. */
export interface TransportContext extends ListenerContext {
  /** Count one datagram and what became of it (the server reports drops). */
  datagram(outcome: DatagramOutcome, remoteAddress: string, remotePort: number, bytes: number): void;
  /** Bytes received from a peer (only called when settings.dump is on). `data` may be reused after the call. */
  dump(peer: PeerInfo, data: Uint8Array, kind: DataKind): void;
}

export interface Listener {
  /** The resolved URL, with the port the system picked when asked for port 0. */
  readonly url: string;
  /** Stop accepting new connections. Open ones are the server's to drain. */
  close(): Promise<void>;
}

export type Transport = (endpoint: Endpoint, context: TransportContext) => Promise<Listener>;
