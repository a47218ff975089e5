/**
 * Where the time of a request went, from the socket's own events (not guessed): the connector undici uses is
 * wrapped, and 'lookup', 'connect' and 'secureConnect' on the new socket mark the end of DNS, TCP and TLS; the
 * response headers and the end of the body mark the rest. A request on a reused connection has no DNS, TCP or
 * TLS phase.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { buildConnector } from 'undici';
import { pinnedConnector, type Undici } from './undici.js';

/** Phases in ms, in order; they add up to totalMs. */
export interface Timing {
  dnsMs: number;
  connectMs: number;
  tlsMs: number;
  /** From the request leaving (connection ready) to the first byte of the response (server processing). */
  firstByteMs: number;
  /** From the first byte to the last byte of the body. */
  transferMs: number;
  totalMs: number;
  /** True when the request went over a connection opened for an earlier one (a redirect to the same origin). */
  reused: boolean;
  remoteAddress: string | null;
  remotePort: number | null;
  localAddress: string | null;
  localPort: number | null;
  /** The proxy the request went through, or null; with a proxy the connection phases are the proxy's. */
  proxy: string | null;
}

/** Marks set by the connector for the connection an attempt opened. */
export interface ConnectionMarks {
  start: number;
  lookup: number | null;
  connect: number | null;
  secure: number | null;
  socket: net.Socket | null;
}

/** A connector that records each new connection's marks into `sink.current`. */
export function timedConnector(
  undici: Undici,
  options: buildConnector.BuildOptions,
  sink: { current: ConnectionMarks | null; last: net.Socket | null },
  pin?: string,
): buildConnector.connector {
  const connect = pinnedConnector(undici, options, pin);
  return (opts, callback) => {
    const marks: ConnectionMarks = { start: performance.now(), lookup: null, connect: null, secure: null, socket: null };
    sink.current = marks;
    const socket = (connect as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => net.Socket)(opts, callback);
    marks.socket = socket;
    sink.last = socket;
    socket.once('lookup', () => (marks.lookup = performance.now()));
    socket.once('connect', () => (marks.connect = performance.now()));
    socket.once('secureConnect', () => (marks.secure = performance.now()));
    return socket;
  };
}

/** Turn the marks of one attempt into phases. `start` is when the request was made. */
export function phases(
  start: number,
  marks: ConnectionMarks | null,
  headersAt: number,
  endAt: number,
  socket: net.Socket | null,
  proxy: string | null,
): Timing {
  const r = (x: number): number => Math.max(0, Math.round(x * 1000) / 1000);
  let ready = start;
  let dnsMs = 0;
  let connectMs = 0;
  let tlsMs = 0;
  const reused = marks === null;
  if (marks !== null) {
    // An IP address needs no lookup: its DNS phase is 0, and the client's own setup before the connect counts
    // with the TCP connection.
    const connect = marks.connect ?? marks.lookup ?? marks.start;
    const secure = marks.secure ?? connect;
    dnsMs = marks.lookup === null ? 0 : marks.lookup - marks.start;
    connectMs = connect - start - dnsMs;
    tlsMs = secure - connect;
    ready = secure;
  }
  return {
    dnsMs: r(dnsMs),
    connectMs: r(connectMs),
    tlsMs: r(tlsMs),
    firstByteMs: r(headersAt - ready),
    transferMs: r(endAt - headersAt),
    totalMs: r(endAt - start),
    reused,
    remoteAddress: socket?.remoteAddress ?? null,
    remotePort: socket?.remotePort ?? null,
    localAddress: socket?.localAddress ?? null,
    localPort: socket?.localPort ?? null,
    proxy,
  };
}
