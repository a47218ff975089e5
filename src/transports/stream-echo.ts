/**
 * The echo loop for byte streams (TCP, and TLS once its handshake is done): every byte a peer sends is written
 * back, in order, until the peer half-closes.
 *
 * No closure per connection: the listeners below are module-level functions that find their state on the
 * socket (as ws does). Two read paths feed the same loop:
 * - `onread` (plain TCP): reads land in one scratch buffer per listener and socketOnRead() copies them out
 *   (or, for a connection reading large chunks, in a buffer lent to it and written from there: read-buffers.ts)
 *   before returning (a write that goes asynchronous keeps a pointer to its buffer, so the scratch buffer is
 *   never handed to a write). About 3x less CPU per 64 KiB round trip than the stream path (docs/benchmarks.md).
 * - 'data' (TLS, or a TCP handle that could not be adopted).
 * Backpressure: when more than maxQueued bytes wait for a peer that is not reading, stop reading from it until
 * its queue drains; if the queue makes no progress for sendStallTimeout, close the connection.
 */
import type net from 'node:net';
import { armStall, disarmStall } from '../limits/stall.js';
import { AdmittedConnection, type Peer } from './connection.js';
import type { Borrower, ReadBuffers } from './read-buffers.js';
import { closeInfo, type CloseReason, type TransportContext } from './transport.js';

const kConn = Symbol('netecho.stream.connection');

export interface EchoSocket extends net.Socket {
  [kConn]: StreamConnection;
}

export class StreamConnection extends AdmittedConnection implements Borrower {
  /** The socket echoed on; the wire itself until a TLS handshake hands over its TLS socket. */
  socket: EchoSocket;
  readonly context: TransportContext;
  paused = false;
  /** Plaintext bytes, counted on the 'data' path (a TLS socket's own counters are the wire's). */
  counting = false;
  /** True once startEcho() ran (for TLS: the handshake finished). */
  started = false;
  bytesIn = 0;
  bytesOut = 0;
  /** The onread path: the listener's read buffers, and the one lent to this connection (read-buffers.ts). */
  reads: ReadBuffers | null = null;
  own: Buffer | null = null;

  constructor(wire: net.Socket, context: TransportContext, transport: string, peer: Peer) {
    super(wire, transport, peer);
    this.socket = wire as EchoSocket;
    this.context = context;
  }

  queued(): number {
    return this.socket.writableLength;
  }

  protected onFinish(): void {
    const socket = this.socket;
    // Keep reading but discard (see `finishing` in the read paths): closing with unread input would send RST
    // and could destroy echoes still in flight.
    if (!socket.writableEnded) socket.end();
    if (this.paused) {
      this.paused = false;
      socket.resume();
    }
  }

  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.socket.destroy();
    if (this.wire !== this.socket) this.wire.destroy();
  }
}

/**
 * The onread path: `nread` bytes in `buf`, the listener's shared buffer (valid only until this returns) or the
 * one lent to this connection (read-buffers.ts).
 */
export function socketOnRead(this: EchoSocket, nread: number, buf: Uint8Array): boolean {
  const conn = this[kConn];
  if (conn.finishing) return true;
  const fromOwn = buf === conn.own;
  // From the shared buffer, copy out through a latin1 string (bytes 0-255 map to themselves, so this is exact):
  // both copies run in C++. Buffer#copy and Buffer.from(view) go through TypedArray#set, which measured ~9x slower
  // per 64 KiB once any SharedArrayBuffer exists in the process (pino's atomic-sleep makes one at load).
  const ok = fromOwn ? this.write((buf as Buffer).subarray(0, nread)) : this.write((buf as Buffer).toString('latin1', 0, nread), 'latin1');
  const queued = this.writableLength;
  (conn.reads as ReadBuffers).after(conn, nread, fromOwn, queued > 0);
  if (!ok && queued >= conn.context.limits.maxQueuedBytes) pauseForPeer(conn);
  return true;
}

/** socketOnRead when --dump is on: report the bytes, then echo them (the plain path stays as lean as it was). */
export function socketOnReadDumping(this: EchoSocket, nread: number, scratch: Uint8Array): boolean {
  const conn = this[kConn];
  conn.context.dump(conn, scratch.subarray(0, nread), 'bytes');
  return socketOnRead.call(this, nread, scratch);
}

function socketOnDataDumping(this: EchoSocket, chunk: Buffer): void {
  const conn = this[kConn];
  conn.context.dump(conn, chunk, 'bytes');
  socketOnData.call(this, chunk);
}

function socketOnData(this: EchoSocket, chunk: Buffer): void {
  const conn = this[kConn];
  conn.bytesIn += chunk.length;
  if (conn.finishing) return;
  conn.bytesOut += chunk.length;
  if (!this.write(chunk) && this.writableLength >= conn.context.limits.maxQueuedBytes) pauseForPeer(conn);
}

function pauseForPeer(conn: StreamConnection): void {
  conn.paused = true;
  conn.socket.pause();
  armStall(conn, conn.context.limits.sendStallTimeoutMs);
}

function socketOnDrain(this: EchoSocket): void {
  const conn = this[kConn];
  if (!conn.paused || conn.finishing) return;
  conn.paused = false;
  disarmStall(conn);
  this.resume();
}

function socketOnEnd(this: EchoSocket): void {
  // The peer half-closed: everything it sent has been written to our queue; end() flushes it, then sends FIN.
  if (!this.writableEnded) this.end();
}

function socketOnError(this: EchoSocket, err: NodeJS.ErrnoException): void {
  const conn = this[kConn];
  conn.reason ??= err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'client-reset' : 'error';
}

function socketOnClose(this: EchoSocket): void {
  const conn = this[kConn];
  if (conn.wire !== this) {
    // The TLS socket closed: make sure the TCP socket under it does too; the wire's 'close' reports.
    conn.wire.destroy();
    return;
  }
  disarmStall(conn);
  conn.reads?.giveBack(conn);
  // Closed before the echo started (during a TLS handshake): Node says why (tlsClientError) right after this
  // event, so report on the next tick. No reason by then: refused without an error (mutual TLS, unauthorized).
  if (!conn.started) process.nextTick(reportClose, conn, this, 'handshake-failed');
  else reportClose(conn, this, 'client-closed');
}

function reportClose(conn: StreamConnection, wire: EchoSocket, fallback: CloseReason): void {
  conn.context.closed(
    conn,
    closeInfo(conn, conn.reason ?? fallback, conn.counting ? conn.bytesIn : wire.bytesRead, conn.counting ? conn.bytesOut : wire.bytesWritten),
  );
}

export interface Admission {
  /** The TCP socket. */
  wire: net.Socket;
  transport: string;
  id: number;
  remoteAddress: string;
  remotePort: number;
}

/**
 * Report an admitted TCP connection open; its close is reported when the TCP socket closes. For plain TCP,
 * call startEcho() at once; for TLS, once the handshake is done.
 */
export function admitStream(context: TransportContext, admission: Admission): StreamConnection {
  const wire = admission.wire as EchoSocket;
  const conn = new StreamConnection(wire, context, admission.transport, admission);
  wire[kConn] = conn;
  wire.on('close', socketOnClose);
  context.opened(conn, conn);
  return conn;
}

export interface EchoStart {
  /** The socket to echo on: the wire itself, or the TLS socket over it. */
  socket: net.Socket;
  /** True when `socket` reads through socketOnRead (onread); false for the 'data' path. */
  onread: boolean;
  /** Written before any echo (the --describe line). */
  preamble?: string | undefined;
}

/** Start echoing on an admitted connection. */
export function startEcho(conn: StreamConnection, start: EchoStart): void {
  const s = start.socket as EchoSocket;
  conn.socket = s;
  conn.started = true;
  s[kConn] = conn;
  conn.counting = !start.onread;
  if (start.preamble !== undefined) {
    s.write(start.preamble);
    conn.bytesOut += Buffer.byteLength(start.preamble);
  }
  if (!start.onread) {
    s.on('data', conn.context.settings.dump ? socketOnDataDumping : socketOnData);
    s.resume();
  }
  s.on('drain', socketOnDrain);
  s.on('end', socketOnEnd);
  s.on('error', socketOnError);
  if (s !== conn.wire) s.on('close', socketOnClose);
}
