/**
 * undici, loaded on first use, so that a process that never makes an HTTP request (serve, bench, relay) does not
 * carry it: about 3.5 MB less heap after start-up (13.3 -> 9.8 MB for the whole library), and a minimal ws echo
 * server that merely imported undici ran 19 full mark-compacts in 2 s of 64 KiB messages against 0 without it
 * (`node --trace-gc`, 50 connections). Only get(), request() and send's HTTP POST load it.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { buildConnector } from 'undici';
import { pinMismatch } from '../client/pin.js';
import { ProtocolError, TimeoutError, fromConnectError, type NetechoError } from '../errors.js';
import { requireOnFirstUse } from '../require-on-first-use.js';

export type Undici = typeof import('undici');

export const loadUndici = requireOnFirstUse<Undici>('undici');

/** An undici connector (from buildConnector's options) that checks the pin once each TLS connection is up. */
export function pinnedConnector(undici: Undici, options: buildConnector.BuildOptions, pin: string | undefined): buildConnector.connector {
  const connect = undici.buildConnector(options);
  if (pin === undefined) return connect;
  return (opts, callback) =>
    (connect as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => net.Socket)(opts, (err, socket) => {
      if (err === null && socket !== null && 'getPeerCertificate' in socket) {
        const mismatch = pinMismatch(socket as tls.TLSSocket, pin, `${opts.protocol}//${opts.hostname}:${opts.port}`);
        if (mismatch !== null) {
          socket.destroy();
          (callback as (e: Error | null, s: net.Socket | null) => void)(mismatch, null);
          return;
        }
      }
      (callback as (e: Error | null, s: net.Socket | null) => void)(err, socket);
    });
}

/** An undici failure in netecho's terms. `h2c`: HTTP/2 was spoken to http:// from the first byte. */
export function fromUndiciError(err: unknown, where: string, h2c: boolean): NetechoError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TimeoutError(`timed out waiting for ${where}`);
  }
  // An HTTP/1.1 server answers an HTTP/2 preface with a 400 and closes: Node's http2 calls it a protocol error.
  if (h2c && code.startsWith('ERR_HTTP2_')) {
    return new ProtocolError({ options: ['http2'], render: (n) => `${where} did not answer in HTTP/2 spoken from the first byte (h2c): is it an HTTP/1.1 server? (leave out ${n})` }, err);
  }
  if (code === 'UND_ERR_SOCKET') return fromConnectError((err as { cause?: unknown }).cause ?? Object.assign(new Error('closed'), { code: 'ECONNRESET' }), where);
  const cause = (err as { cause?: unknown }).cause;
  return fromConnectError(cause instanceof Error && (cause as NodeJS.ErrnoException).code ? cause : err, where);
}
