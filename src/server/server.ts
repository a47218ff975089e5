/**
 * serve(): one echo server over any number of listeners, with shared limits, events and a graceful drain.
 */
import { transportFor } from '../transports/index.js';
import { loadTlsMaterial, type TlsMaterial } from '../transports/tls-material.js';
import type { DataInfo, DatagramOutcome, RequestInfo, TransportContext } from '../transports/transport.js';
import { ServerCore, kListen, type CoreEvents, type CoreStats } from './core.js';
import { SECURE_SCHEMES, resolveServeOptions, type ServeOptions, type ServerLimits, type TransportSettings } from './options.js';

export type { RefusalReason, RefusalInfo, CloseOptions } from './core.js';
export { flushWindowMs } from './core.js';

export interface ServerEvents extends CoreEvents {
  /** A datagram was not answered (UDP), with the reason. */
  dropped: [info: DroppedInfo];
  /** Data received (with the `dump` option): a stream's bytes, a WebSocket message, a datagram, a request body. */
  data: [info: DataInfo];
  /** An HTTP request was answered: method, path, status, reply bytes, time (an access log line). */
  request: [info: RequestInfo];
}

export type DropReason = Exclude<DatagramOutcome, 'echoed'>;

export interface DroppedInfo {
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: DropReason;
}

export interface ServerStats extends CoreStats {
  /** Datagrams (UDP): received, answered, and dropped by reason. */
  datagrams: { received: number; echoed: number; bytes: number; dropped: Record<DropReason, number> };
  /** HTTP replies (reflections and refusals), by status code ("200", "413"...). */
  http: { replies: Record<string, number> };
}

/** What the echo transports get from the server; not exported from the package. */
const kContext = Symbol('netecho.server.context');

/** The echo server: every transport's echo, on the shared core (limits, drain, counters). */
export class EchoServer extends ServerCore<ServerEvents> {
  readonly #datagrams: ServerStats['datagrams'] = {
    received: 0,
    echoed: 0,
    bytes: 0,
    dropped: { 'low-port': 0, 'rate-limited': 0, broadcast: 0, draining: 0, 'send-failed': 0 },
  };
  readonly #replies: Record<string, number> = {};
  readonly [kContext]: TransportContext;

  constructor(limits: ServerLimits, settings: TransportSettings, tls: TlsMaterial | null) {
    super(limits, settings, tls);
    this.servePage({ kind: 'echo', snapshot: () => ({ addresses: this.addresses, stats: this.stats }) });
    this[kContext] = {
      ...this.listenerContext,
      datagram: (outcome, remoteAddress, remotePort, bytes) => this.#datagram(outcome, remoteAddress, remotePort, bytes),
      dump: (peer, data, kind) => {
        if (this.listenerCount('data') > 0) this.emit('data', { id: peer.id, transport: peer.transport, remoteAddress: peer.remoteAddress, remotePort: peer.remotePort, kind, data: Buffer.from(data) });
      },
    };
  }

  /** Counters since start: a snapshot. */
  get stats(): ServerStats {
    return { ...this.coreSnapshot(), ...structuredClone({ datagrams: this.#datagrams, http: { replies: this.#replies } }) };
  }

  protected override onRequest(info: RequestInfo): void {
    const status = String(info.status);
    this.#replies[status] = (this.#replies[status] ?? 0) + 1;
    if (this.listenerCount('request') > 0) this.emit('request', info);
  }

  #datagram(outcome: DatagramOutcome, remoteAddress: string, remotePort: number, bytes: number): void {
    const d = this.#datagrams;
    d.received++;
    if (outcome === 'echoed') {
      d.echoed++;
      d.bytes += bytes;
      return;
    }
    d.dropped[outcome]++;
    if (this.listenerCount('dropped') > 0) this.emit('dropped', { transport: 'udp', remoteAddress, remotePort, reason: outcome });
  }
}

/**
 * Start an echo server. Resolves once every listener is listening.
 *
 * ```ts
 * const server = await serve({ listen: 'tcp://127.0.0.1:0' });
 * console.log(server.addresses); // ['tcp://127.0.0.1:41234']
 * await server.close();
 * ```
 * @throws ERR_NETECHO_INVALID_ARGUMENT / ERR_NETECHO_INVALID_URL for bad options (before anything listens);
 *   ERR_NETECHO_UNSUPPORTED_SCHEME; ERR_NETECHO_ADDRESS_IN_USE, ERR_NETECHO_PERMISSION_DENIED,
 *   ERR_NETECHO_ADDRESS_UNAVAILABLE when a listener cannot start (the others are closed again).
 */
export async function serve(options: ServeOptions = {}): Promise<EchoServer> {
  const { endpoints, limits, settings } = resolveServeOptions(options);
  // Every scheme is checked before anything listens.
  const plan = endpoints.map((endpoint) => ({ endpoint, listen: transportFor(endpoint.scheme) }));
  const needsTls = endpoints.some((e) => SECURE_SCHEMES.has(e.scheme));
  const tls = needsTls ? await loadTlsMaterial(options.tls ?? {}, endpoints) : null;
  const server = new EchoServer(limits, settings, tls);
  try {
    await server[kListen](plan, server[kContext]);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}
