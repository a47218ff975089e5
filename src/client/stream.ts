/**
 * sendStream(): like nc. Streams `input` to the server and the echo to `output`, exact bytes, with
 * backpressure both ways, then half-closes and waits for the rest of the echo.
 */
import type { Readable, Writable } from 'node:stream';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { AbortedError, ConnectionClosedError, EchoMismatchError, TimeoutError, fromConnectError } from '../errors.js';
import type { Duration } from '../units.js';
import { Transform, type TransformCallback } from 'node:stream';
import { openChannel, CHANNEL_SCHEMES, isWebSocket } from './channel.js';
import { resolveWebSocketClient, type WebSocketClientOptions } from './websocket-options.js';
import { InvalidArgumentError } from '../errors.js';
import { clientEndpoint } from './connect.js';
import { validateClientTls, type ClientTlsOptions } from './tls-options.js';
import { STREAM_SHAPE, resolveTimeout } from './options.js';
import { checkShape } from '../option-shape.js';
import { EchoVerifier } from './verifier.js';

export interface StreamOptions {
  /** Connect timeout, and the longest silence from the server once the input has ended. Default "5s". */
  timeout?: Duration;
  /** Check every echoed byte against what was sent; throws ERR_NETECHO_ECHO_MISMATCH. Default false. */
  verify?: boolean;
  signal?: AbortSignal;
  /** For tls:// and wss://: trust, client certificate, server name. */
  tls?: ClientTlsOptions;
  /** For ws:// and wss://: headers, Origin and subprotocols for the upgrade. */
  websocket?: WebSocketClientOptions;
  /**
   * ws:// and wss:// only: each line of the input is one text message (without its newline), and each message
   * received is written with a newline after it. Default false: the input's chunks go as binary messages.
   */
  lines?: boolean;
}

export interface StreamResult {
  url: string;
  bytesSent: number;
  bytesReceived: number;
}

/**
 * @throws the connect errors of send(); ERR_NETECHO_ECHO_MISMATCH with `verify` when the echo differs or falls
 *   short; ERR_NETECHO_TIMEOUT when the server goes silent after the input ended.
 */
export async function sendStream(
  url: string | Endpoint,
  input: Readable,
  output: Writable,
  options: StreamOptions = {},
): Promise<StreamResult> {
  checkShape(options, STREAM_SHAPE, 'sendStream');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, CHANNEL_SCHEMES);
  const timeoutMs = resolveTimeout(options.timeout);
  const target = formatEndpoint(endpoint);
  const websocket = resolveWebSocketClient(options.websocket, endpoint.scheme);
  const lines = Boolean(options.lines);
  if (lines && !isWebSocket(endpoint.scheme)) {
    throw new InvalidArgumentError(['lines'], (n) => `${n} is for ws:// and wss:// (text messages), not ${endpoint.scheme}://`);
  }
  const socket = await openChannel(endpoint, { timeoutMs, signal: options.signal, tls: options.tls, websocket });
  const source = lines ? input.pipe(new LineSplitter()) : input;
  const verifier = options.verify ? new EchoVerifier() : null;
  let bytesSent = 0;
  let bytesReceived = 0;

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        source.unpipe(socket);
        socket.destroy();
        reject(err);
      };
      source.on('data', (chunk: Buffer | string) => {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytesSent += bytes.length;
        verifier?.sent(bytes);
      });
      input.on('error', (err) => fail(err));
      if (source !== input) source.on('error', (err) => fail(err));
      // Once the input is done, silence from the server for timeoutMs is a timeout.
      let silence: NodeJS.Timeout | null = null;
      const onSilence = (): void =>
        fail(new TimeoutError(`timed out after ${timeoutMs} ms waiting for the rest of the echo from ${target} (${bytesReceived} of ${bytesSent} bytes)`));
      source.once('end', () => {
        if (timeoutMs > 0) silence = setTimeout(onSilence, timeoutMs);
      });
      socket.once('close', () => {
        if (silence !== null) clearTimeout(silence);
      });
      socket.on('data', (chunk: Buffer) => {
        silence?.refresh();
        bytesReceived += chunk.length;
        if (verifier !== null && !verifier.received(chunk)) {
          fail(new EchoMismatchError(`echo from ${target} differs from what was sent at byte ${verifier.mismatchAt}`));
          return;
        }
        if (lines) output.write(chunk);
        if (!output.write(lines ? '\n' : chunk)) {
          socket.pause();
          output.once('drain', () => socket.resume());
        }
      });
      socket.on('error', (err) => fail(fromConnectError(err, target)));
      socket.on('end', () => {
        if (settled) return;
        if (!source.readableEnded) {
          fail(new ConnectionClosedError(`${target} closed the connection before the input ended (${bytesReceived} bytes echoed)`));
          return;
        }
        if (bytesReceived !== bytesSent) {
          fail(new ConnectionClosedError(`${target} closed the connection after echoing ${bytesReceived} of ${bytesSent} bytes`));
          return;
        }
        settled = true;
        resolve();
      });
      options.signal?.addEventListener('abort', () => fail(new AbortedError()), { once: true });
      // pipe() ends the socket when the input ends: a half-close, so the server sends the rest and then FIN.
      source.pipe(socket);
    });
  } finally {
    socket.destroy();
  }
  return { url: target, bytesSent, bytesReceived };
}

/** Splits text into lines: each line (without its newline, a trailing \r dropped) is one chunk, a string. */
class LineSplitter extends Transform {
  #rest = '';
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.#rest = parts.pop() ?? '';
    for (const line of parts) this.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    done();
  }

  override _flush(done: TransformCallback): void {
    const rest = this.#rest + this.#decoder.decode();
    if (rest !== '') this.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
    done();
  }
}
