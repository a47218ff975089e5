/**
 * sendStream(): like nc. Streams `input` to the server and the echo to `output`, exact bytes, with
 * backpressure both ways, then half-closes and waits for the rest of the echo.
 */
import type { Readable, Writable } from 'node:stream';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { AbortedError, ConnectionClosedError, EchoMismatchError, TimeoutError, fromConnectError } from '../errors.js';
import type { Duration } from '../units.js';
import { openChannel, CHANNEL_SCHEMES } from './channel.js';
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
  const socket = await openChannel(endpoint, { timeoutMs, signal: options.signal, tls: options.tls });
  const verifier = options.verify ? new EchoVerifier() : null;
  let bytesSent = 0;
  let bytesReceived = 0;

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        input.unpipe(socket);
        socket.destroy();
        reject(err);
      };
      input.on('data', (chunk: Buffer) => {
        bytesSent += chunk.length;
        verifier?.sent(chunk);
      });
      input.on('error', (err) => fail(err));
      // Once the input is done, silence from the server for timeoutMs is a timeout.
      let silence: NodeJS.Timeout | null = null;
      const onSilence = (): void =>
        fail(new TimeoutError(`timed out after ${timeoutMs} ms waiting for the rest of the echo from ${target} (${bytesReceived} of ${bytesSent} bytes)`));
      input.once('end', () => {
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
        if (!output.write(chunk)) {
          socket.pause();
          output.once('drain', () => socket.resume());
        }
      });
      socket.on('error', (err) => fail(fromConnectError(err, target)));
      socket.on('end', () => {
        if (settled) return;
        if (!input.readableEnded) {
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
      input.pipe(socket);
    });
  } finally {
    socket.destroy();
  }
  return { url: target, bytesSent, bytesReceived };
}
