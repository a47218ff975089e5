/**
 * serve(): one echo server over any number of listeners, with shared limits, events and a graceful drain.
 */
import type { Endpoint } from '../endpoint.js';
import { ConnectionLimiter, type RefusalReason as LimitReason } from '../limits/connection-limiter.js';
import { IdleSweeper } from '../limits/idle-sweeper.js';
import { TypedEmitter } from '../typed-emitter.js';
import { parseDuration, type Duration } from '../units.js';
import { transportFor } from '../transports/index.js';
import { loadTlsMaterial, type TlsMaterial } from '../transports/tls-material.js';
import type {
  CloseInfo,
  CloseReason,
  ConnectionHandle,
  DataInfo,
  RequestInfo,
  DatagramOutcome,
  Listener,
  PeerInfo,
  Transport,
  TransportContext,
} from '../transports/transport.js';
import { SECURE_SCHEMES, resolveServeOptions, type ServeOptions, type ServerLimits, type TransportSettings } from './options.js';

export type RefusalReason = LimitReason | 'server-draining';

export interface RefusalInfo {
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: RefusalReason;
}

export interface ServerEvents {
  /** A connection was admitted. */
  connection: [info: PeerInfo];
  /** A connection closed, with its byte counts and reason. */
  close: [info: CloseInfo];
  /** A connection was refused by a limit (accepted and reset at once). */
  refused: [info: RefusalInfo];
  /** close() began: listeners are closed, open connections have until the deadline. */
  draining: [info: { connections: number; drainTimeoutMs: number }];
  /**
   * The drain is ending with connections still open: they are being finished (what was read is written back,
   * then the write side closed); whatever is still open `flushMs` later, at the deadline, is closed.
   */
  deadline: [info: { connections: number; flushMs: number }];
  /** Every listener and connection is closed. */
  closed: [];
  /** A problem that does not stop the server, such as running out of file descriptors on accept. */
  warning: [err: Error];
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

export interface ServerStats {
  /** Connections admitted since start. */
  accepted: number;
  /** Connections refused, by reason. */
  refused: Record<RefusalReason, number>;
  /** Connections closed, by reason. */
  closed: Record<CloseReason, number>;
  /** Datagrams (UDP): received, answered, and dropped by reason. */
  datagrams: { received: number; echoed: number; bytes: number; dropped: Record<DropReason, number> };
}

export interface CloseOptions {
  /** How long open connections may keep going before they are finished. Default: the server's drainTimeout. */
  drainTimeout?: Duration;
}

/** The last part of a drain, when open connections are finished (what was read is written back, then FIN). */
const MAX_FLUSH_MS = 2000;

/** How long before the drain deadline connections are finished: 2 s, or a quarter of a shorter drain. */
export function flushWindowMs(drainMs: number): number {
  return Math.min(MAX_FLUSH_MS, Math.floor(drainMs / 4));
}

type State = 'listening' | 'draining' | 'closed';

/** Not exported from the package: only serve() starts a server's listeners. */
const kListen = Symbol('netecho.server.listen');

export class EchoServer extends TypedEmitter<ServerEvents> {
  readonly limits: ServerLimits;
  readonly #limiter: ConnectionLimiter;
  readonly #idle: IdleSweeper<ConnectionHandle>;
  readonly #connections = new Map<ConnectionHandle, string>();
  readonly #stats: ServerStats = {
    accepted: 0,
    refused: { 'max-connections': 0, 'max-connections-per-ip': 0, 'server-draining': 0 },
    closed: {
      'client-closed': 0,
      'client-reset': 0,
      'idle-timeout': 0,
      'send-stall': 0,
      'drain-deadline': 0,
      'server-destroyed': 0,
      'handshake-failed': 0,
      'handshake-timeout': 0,
      'message-too-big': 0,
      'protocol-error': 0,
      'heartbeat-timeout': 0,
      error: 0,
    },
    datagrams: {
      received: 0,
      echoed: 0,
      bytes: 0,
      dropped: { 'low-port': 0, 'rate-limited': 0, broadcast: 0, draining: 0, 'send-failed': 0 },
    },
  };
  #listeners: Listener[] = [];
  #state: State = 'listening';
  #nextId = 1;
  #closing: Promise<void> | null = null;
  #allClosed: (() => void) | null = null;
  #finishTimer: NodeJS.Timeout | null = null;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #finishing = false;
  readonly #context: TransportContext;

  /** The certificate served on tls://, wss:// and https:// (null when none of them is served). */
  readonly certificate: { readonly pem: string; readonly fingerprint256: string; readonly selfSigned: boolean } | null;

  constructor(limits: ServerLimits, settings: TransportSettings, tls: TlsMaterial | null) {
    super();
    this.limits = limits;
    this.certificate = tls === null ? null : { pem: tls.certPem, fingerprint256: tls.fingerprint256, selfSigned: tls.selfSigned };
    this.#limiter = new ConnectionLimiter(limits.maxConnections, limits.maxConnectionsPerIp, limits.capLoopbackPerIp);
    this.#idle = new IdleSweeper(limits.idleTimeoutMs, (handle) => handle.destroy('idle-timeout'));
    this.#context = {
      limits,
      settings,
      tls,
      draining: () => this.#state !== 'listening',
      datagram: (outcome, remoteAddress, remotePort, bytes) => this.#datagram(outcome, remoteAddress, remotePort, bytes),
      admit: (transport, remoteAddress, remotePort) => this.#admit(transport, remoteAddress, remotePort),
      opened: (handle, info) => this.#opened(handle, info),
      closed: (handle, info) => this.#closed(handle, info),
      warn: (err) => {
        if (this.listenerCount('warning') > 0) this.emit('warning', err);
      },
      dump: (peer, data, kind) => {
        if (this.listenerCount('data') > 0) this.emit('data', { id: peer.id, transport: peer.transport, remoteAddress: peer.remoteAddress, remotePort: peer.remotePort, kind, data: Buffer.from(data) });
      },
      request: (info) => {
        if (this.listenerCount('request') > 0) this.emit('request', info);
      },
    };
  }

  /** The URLs listened on, with the ports the system picked for port 0. */
  get addresses(): string[] {
    return this.#listeners.map((l) => l.url);
  }

  /** Open connections right now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Counters since start: a snapshot. */
  get stats(): ServerStats {
    return structuredClone(this.#stats);
  }

  /** True once close() or destroy() has been called. */
  get closing(): boolean {
    return this.#state !== 'listening';
  }

  /** Start each listener (serve() calls it once); on a failure, what started is closed by the caller. */
  async [kListen](plan: ReadonlyArray<{ endpoint: Endpoint; transport: Transport }>): Promise<void> {
    for (const { endpoint, transport } of plan) this.#listeners.push(await transport(endpoint, this.#context));
  }

  /**
   * Stop accepting at once and let open connections go on until their clients close or `drainTimeout` passes;
   * resolves when all are closed, by the deadline. Connections still open near the end are finished first
   * (what was read is written back, then the write side closed; see flushWindowMs()). Calling it again with
   * `drainTimeout: 0` ends the drain now.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const drainMs = options.drainTimeout === undefined ? this.limits.drainTimeoutMs : parseDuration(options.drainTimeout, 'drainTimeout');
    if (this.#closing !== null) {
      if (drainMs === 0) this.#endDrain();
      return this.#closing;
    }
    this.#state = 'draining';
    this.emit('draining', { connections: this.#connections.size, drainTimeoutMs: drainMs });
    this.#closing = this.#drain(drainMs);
    return this.#closing;
  }

  /** Close every listener and connection now, without a drain (close reason `server-destroyed`). */
  destroy(): Promise<void> {
    for (const handle of [...this.#connections.keys()]) handle.destroy('server-destroyed');
    return this.close({ drainTimeout: 0 });
  }

  async #drain(drainMs: number): Promise<void> {
    await Promise.all(this.#listeners.map((l) => l.close()));
    if (this.#connections.size > 0) {
      const allClosed = new Promise<void>((resolve) => {
        this.#allClosed = resolve;
      });
      if (drainMs === 0) this.#endDrain();
      else {
        const flushMs = flushWindowMs(drainMs);
        this.#finishTimer = setTimeout(() => this.#finishAll(flushMs), drainMs - flushMs);
        this.#deadlineTimer = setTimeout(() => this.#endDrain(), drainMs);
      }
      await allClosed;
    }
    if (this.#finishTimer !== null) clearTimeout(this.#finishTimer);
    if (this.#deadlineTimer !== null) clearTimeout(this.#deadlineTimer);
    this.#idle.stop();
    this.#state = 'closed';
    this.emit('closed');
  }

  /** Finish every open connection: flush what was read, close the write side, close when the peer does. */
  #finishAll(flushMs: number): void {
    if (this.#finishing || this.#connections.size === 0) return;
    this.#finishing = true;
    this.emit('deadline', { connections: this.#connections.size, flushMs });
    for (const handle of this.#connections.keys()) handle.finish();
  }

  /** The deadline: finish what is left, and close whatever is still open. */
  #endDrain(): void {
    this.#finishAll(0);
    for (const handle of [...this.#connections.keys()]) handle.destroy('drain-deadline');
  }

  #admit(transport: string, remoteAddress: string, remotePort: number): number | null {
    const reason: RefusalReason | null = this.#state !== 'listening' ? 'server-draining' : this.#limiter.acquire(remoteAddress);
    if (reason !== null) {
      this.#stats.refused[reason]++;
      if (this.listenerCount('refused') > 0) this.emit('refused', { transport, remoteAddress, remotePort, reason });
      return null;
    }
    this.#stats.accepted++;
    return this.#nextId++;
  }

  #datagram(outcome: DatagramOutcome, remoteAddress: string, remotePort: number, bytes: number): void {
    const d = this.#stats.datagrams;
    d.received++;
    if (outcome === 'echoed') {
      d.echoed++;
      d.bytes += bytes;
      return;
    }
    d.dropped[outcome]++;
    if (this.listenerCount('dropped') > 0) this.emit('dropped', { transport: 'udp', remoteAddress, remotePort, reason: outcome });
  }

  #opened(handle: ConnectionHandle, info: PeerInfo): void {
    this.#connections.set(handle, info.remoteAddress);
    this.#idle.add(handle);
    if (this.listenerCount('connection') > 0) this.emit('connection', info);
  }

  #closed(handle: ConnectionHandle, info: CloseInfo): void {
    const ip = this.#connections.get(handle);
    if (ip === undefined) return;
    this.#connections.delete(handle);
    this.#idle.delete(handle);
    this.#limiter.release(ip);
    this.#stats.closed[info.reason]++;
    if (this.listenerCount('close') > 0) this.emit('close', info);
    if (this.#connections.size === 0 && this.#allClosed !== null) this.#allClosed();
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
  const plan = endpoints.map((endpoint) => ({ endpoint, transport: transportFor(endpoint.scheme) }));
  const needsTls = endpoints.some((e) => SECURE_SCHEMES.has(e.scheme));
  const tls = needsTls ? await loadTlsMaterial(options.tls ?? {}, endpoints) : null;
  const server = new EchoServer(limits, settings, tls);
  try {
    await server[kListen](plan);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}
