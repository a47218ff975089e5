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
