/**
 * send(): the tutorial's client, done right. Sends one message and waits for the whole echo, not the first
 * 100 bytes, within a timeout.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { ConnectionClosedError, EchoMismatchError, InvalidArgumentError, TimeoutError, fromConnectError } from '../errors.js';
import type { Duration } from '../units.js';
import { openChannel, CHANNEL_SCHEMES, isWebSocket } from './channel.js';
import { clientEndpoint } from './connect.js';
import { validateClientTls, type ClientTlsOptions } from './tls-options.js';
import { resolveWebSocketClient, type WebSocketClientOptions } from './websocket-options.js';
import { SEND_SHAPE, resolveTimeout, toBuffer } from './options.js';
import { checkShape } from '../option-shape.js';
import { DEFAULT_RETRIES, exchangeUdp } from './udp.js';
import { parseCount } from '../units.js';

export interface SendOptions {
  /** Connect timeout, and separately the wait for the whole echo. Default "5s"; 0 waits forever. */
  timeout?: Duration;
  /** Throw ERR_NETECHO_ECHO_MISMATCH when the echo differs from the message. Default false. */
  verify?: boolean;
  signal?: AbortSignal;
  /** udp:// only: datagrams to send again when no reply comes within the timeout. Default 2. */
  retries?: number | string;
  /** For tls:// and wss://: trust, client certificate, server name. */
  tls?: ClientTlsOptions;
  /** For ws:// and wss://: headers, Origin and subprotocols for the upgrade. */
  websocket?: WebSocketClientOptions;
}

export interface SendResult {
  /** The endpoint connected to, as a URL. */
  url: string;
  /** The echo: exactly as many bytes as were sent. */
  echo: Buffer;
  bytesSent: number;
  /** Time to connect, in milliseconds. */
  connectMs: number;
  /** From the write to the last byte of the echo, in milliseconds. */
  rttMs: number;
  /** Whether the echo equals the message byte for byte. */
  match: boolean;
  /** udp:// only: datagrams sent, and how many of them went unanswered. */
  attempts?: number;
  lost?: number;
}

/**
 * Send one message to an echo server and wait for all of it to come back.
 * @throws ERR_NETECHO_INVALID_URL, ERR_NETECHO_CONNECT_REFUSED, ERR_NETECHO_HOST_NOT_FOUND, ERR_NETECHO_TIMEOUT,
 *   ERR_NETECHO_CONNECTION_CLOSED (the server closed before the whole echo), ERR_NETECHO_CONNECTION_RESET,
 *   ERR_NETECHO_ECHO_MISMATCH (with `verify`)
 */
export async function send(url: string | Endpoint, message: string | Uint8Array, options: SendOptions = {}): Promise<SendResult> {
  checkShape(options, SEND_SHAPE, 'send');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, [...CHANNEL_SCHEMES, 'udp']);
  const websocket = resolveWebSocketClient(options.websocket, endpoint.scheme);
  const timeoutMs = resolveTimeout(options.timeout);
  const payload = toBuffer(message);
  if (options.retries !== undefined && endpoint.scheme !== 'udp') {
    throw new InvalidArgumentError(['retries'], (r) => `${r} is for udp:// (not ${endpoint.scheme}://)`);
  }
  const target = formatEndpoint(endpoint);
  if (endpoint.scheme === 'udp') {
    const retries = options.retries === undefined ? DEFAULT_RETRIES : parseCount(options.retries, 'retries', 0);
    const ex = await exchangeUdp(endpoint, payload, { timeoutMs, retries, signal: options.signal });
    const match = ex.echo.equals(payload);
    if (options.verify && !match) {
      throw new EchoMismatchError(`echo from ${target} differs from what was sent (first difference at byte ${firstDifference(ex.echo, payload)})`);
    }
    return { url: target, echo: ex.echo, bytesSent: payload.length, connectMs: 0, rttMs: ex.rttMs, match, attempts: ex.attempts, lost: ex.lost };
  }

  const t0 = performance.now();
  const socket = await openChannel(endpoint, { timeoutMs, signal: options.signal, tls: options.tls, websocket });
  const connectMs = performance.now() - t0;

  const echo = Buffer.allocUnsafe(payload.length);
  let received = 0;
  let sentAt = 0;
  let rttMs = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const finish = (err?: Error): void => {
        if (timer !== null) clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeListener('end', onEnd);
        socket.removeListener('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer): void => {
        const n = Math.min(chunk.length, payload.length - received);
        chunk.copy(echo, received, 0, n);
        received += n;
        if (received === payload.length) {
          rttMs = performance.now() - sentAt;
          finish();
        }
      };
      const onEnd = (): void => {
        if (payload.length === 0) {
          rttMs = performance.now() - sentAt;
          finish();
        } else {
          finish(new ConnectionClosedError(`${target} closed the connection after ${received} of ${payload.length} bytes`));
        }
      };
      const onError = (err: Error): void => finish(fromConnectError(err, target));
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('error', onError);
      if (timeoutMs > 0) {
        timer = setTimeout(
          () => finish(new TimeoutError(`timed out after ${timeoutMs} ms waiting for the echo from ${target} (${received} of ${payload.length} bytes)`)),
          timeoutMs,
        );
      }
      sentAt = performance.now();
      // An empty message is echoed by the server's own half-close.
      if (payload.length === 0) socket.end();
      // Over WebSocket a string goes as a text message; bytes as binary.
      else socket.write(typeof message === 'string' && isWebSocket(endpoint.scheme) ? message : payload);
    });
  } finally {
    await closeGracefully(socket, timeoutMs);
  }
  const match = echo.equals(payload);
  if (options.verify && !match) {
    throw new EchoMismatchError(`echo from ${target} differs from what was sent (first difference at byte ${firstDifference(echo, payload)})`);
  }
  return { url: target, echo, bytesSent: payload.length, connectMs, rttMs, match };
}

/** Half-close and wait for the server to close too, so no RST cuts anything short; destroy if it takes too long. */
export function closeGracefully(socket: Duplex, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => socket.destroy(), timeoutMs > 0 ? timeoutMs : 1000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
    socket.resume();
    if (!socket.writableEnded) socket.end();
  });
}

export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
