/**
 * How the bench engine reaches a server: one dial per transport (the client's own dials underneath), each
 * resolving with a Link, the few socket methods the engine uses, and feeding echoed bytes to a callback. dialLink()
 * (dial.ts) is the one place a transport is chosen by scheme.
 */
import type { ClientTlsOptions } from '../../client/tls-options.js';
import type { Endpoint } from '../../endpoint.js';

/** The part of a socket the engine uses. net.Socket is one; the others adapt a WebSocket, a UDP socket, HTTP. */
export interface Link {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
  end(): void;
  destroy(): void;
  resume(): void;
  readonly destroyed: boolean;
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Called with `len` echoed bytes in `buf`; `buf` may be a shared buffer that is reused after the call. */
export type OnEcho = (buf: Buffer, len: number) => void;

/** HTTP: called with the status of a reply that is not 2xx (it answered one message, and carries no echo). */
export type OnStatus = (status: number) => void;

/** Called with one datagram's echo and the sequence number it carried (UDP). */
export type OnDatagram = (buf: Buffer, seq: number) => void;

export interface LinkOptions {
  endpoint: Endpoint;
  localAddress: string | undefined;
  timeoutMs: number;
  tls: ClientTlsOptions | undefined;
  /** The engine's shared read buffer, for onread (TCP). */
  buffer: Buffer;
  onEcho: OnEcho;
  onDatagram: OnDatagram;
  onStatus: OnStatus;
}
