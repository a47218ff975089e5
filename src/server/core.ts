/**
 * What every netecho server shares, echo or relay: listeners under one set of limits (admission at accept, caps in
 * total and per IP, the idle sweep), the connection bookkeeping and counters, and the graceful drain.
 */
import type { Endpoint } from '../endpoint.js';
import { ConnectionLimiter } from '../limits/connection-limiter.js';
import { newCoreStats, type CoreStats, type RefusalReason, type TransportStats } from './core-stats.js';

export type { CoreStats, RefusalReason, TransportStats } from './core-stats.js';
import { IdleSweeper } from '../limits/idle-sweeper.js';
import type { TlsMaterial } from '../transports/tls-material.js';
import type { CloseInfo, ConnectionHandle, Listener, ListenerContext, PeerInfo } from '../transports/transport.js';
import { TypedEmitter, type EventMap } from '../typed-emitter.js';
import { parseDuration, type Duration } from '../units.js';
import type { ServerLimits, TransportSettings } from './options.js';
import { Page, type PageSource } from './page.js';


export interface RefusalInfo {
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: RefusalReason;
}

/** Events every server emits. */
export interface CoreEvents {
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

/** Not exported from the package: only serve() and relay() start a server's listeners. */
export const kListen = Symbol('netecho.server.listen');

/** A listener to start: an endpoint and the function that listens on it with the server's context. */
export interface ListenPlan<C extends ListenerContext> {
  endpoint: Endpoint;
  listen: (endpoint: Endpoint, context: C) => Promise<Listener>;
}


export class ServerCore<E extends CoreEvents & EventMap<E>> extends TypedEmitter<E> {
  readonly limits: ServerLimits;
  /** The certificate served on tls://, wss:// and https:// (null when none of them is served). */
  readonly certificate: { readonly pem: string; readonly fingerprint256: string; readonly selfSigned: boolean } | null;
  protected readonly coreStats: CoreStats = newCoreStats();
  /** What listeners get: limits, settings, certificates, admission and bookkeeping. */
  protected readonly listenerContext: ListenerContext;
  readonly #limiter: ConnectionLimiter;
  readonly #idle: IdleSweeper<ConnectionHandle>;
  /** Open connections: their client's IP (for the per-IP cap) and transport. */
  readonly #connections = new Map<ConnectionHandle, { ip: string; transport: string }>();
  #listeners: Listener[] = [];
  #state: State = 'listening';
  #nextId = 1;
  #closing: Promise<void> | null = null;
  #allClosed: (() => void) | null = null;
  #finishTimer: NodeJS.Timeout | null = null;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #finishing = false;
  #page: Page | null = null;

  constructor(limits: ServerLimits, settings: TransportSettings, tls: TlsMaterial | null) {
    super();
    this.limits = limits;
    this.certificate = tls === null ? null : { pem: tls.certPem, fingerprint256: tls.fingerprint256, selfSigned: tls.selfSigned };
    this.#limiter = new ConnectionLimiter(limits.maxConnections, limits.maxConnectionsPerIp, limits.capLoopbackPerIp);
    this.#idle = new IdleSweeper(limits.idleTimeoutMs, (handle) => handle.destroy('idle-timeout'));
    this.listenerContext = {
      limits,
      settings,
      tls,
      draining: () => this.#state !== 'listening',
      admit: (transport, remoteAddress, remotePort) => this.#admit(transport, remoteAddress, remotePort),
      opened: (handle, info) => this.#opened(handle, info),
      closed: (handle, info) => this.#closed(handle, info),
      warn: (err) => this.emitIfHeard('warning', err),
      request: (info) => this.onRequest(info),
      page: (req, res) => this.#page?.handle(req, res) ?? false,
      websocket: this.coreStats.websocket,
    };
  }

  /** An HTTP request answered (the echo server reports it; a relay has none to report). */
  protected onRequest(_info: Parameters<ListenerContext['request']>[0]): void {}

  /** The connection counters now, with the bytes of open connections so far (a copy). */
  protected coreSnapshot(): CoreStats {
    const copy = structuredClone(this.coreStats);
    for (const [handle, { transport }] of this.#connections) {
      const t = copy.transports[transport];
      if (t === undefined) continue;
      const b = handle.bytes();
      t.bytesIn += b.in;
      t.bytesOut += b.out;
    }
    return copy;
  }

  /** Serve the page at /.netecho/ on the http(s) listeners (unless the settings turn it off). */
  protected servePage(source: PageSource): void {
    if (this.listenerContext.settings.ui) this.#page = new Page(source);
  }

  /** emit() when someone listens (events on hot paths cost nothing otherwise). */
  protected emitIfHeard<K extends keyof CoreEvents>(event: K, ...args: CoreEvents[K]): void {
    const self = this as unknown as TypedEmitter<CoreEvents>;
    if (self.listenerCount(event) > 0) self.emit(event, ...args);
  }

  /** The URLs listened on, with the ports the system picked for port 0. */
  get addresses(): string[] {
    return this.#listeners.map((l) => l.url);
  }

  /** Open connections right now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** True once close() or destroy() has been called. */
  get closing(): boolean {
    return this.#state !== 'listening';
  }

  /**
   * Whether a drain finishes open connections as it starts rather than near its deadline: true for servers whose
   * clients hold sessions open (the relay), false for the echo, whose clients finish what they are doing.
   */
  protected get finishesAtOnce(): boolean {
    return false;
  }

  /** Start each listener (serve() and relay() call it once); on a failure, the caller destroys the server. */
  async [kListen]<C extends ListenerContext>(plan: ReadonlyArray<ListenPlan<C>>, context: C): Promise<void> {
    for (const { endpoint, listen } of plan) this.#listeners.push(await listen(endpoint, context));
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
    this.#page?.close();
    this.emitIfHeard('draining', { connections: this.#connections.size, drainTimeoutMs: drainMs });
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
      else if (this.finishesAtOnce) {
        // Sessions that would never end by themselves are told at once (WebSocket 1001, a last line), then closed.
        this.#finishing = true;
        for (const handle of this.#connections.keys()) handle.finish('server-closing');
        this.#deadlineTimer = setTimeout(() => this.#endDrain(), drainMs);
      } else {
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
    this.emitIfHeard('closed');
  }

  /** Finish every open connection: flush what was read, close the write side, close when the peer does. */
  #finishAll(flushMs: number): void {
    if (this.#finishing || this.#connections.size === 0) return;
    this.#finishing = true;
    this.emitIfHeard('deadline', { connections: this.#connections.size, flushMs });
    for (const handle of this.#connections.keys()) handle.finish();
  }

  /** The deadline: finish what is left, and close whatever is still open. */
  #endDrain(): void {
    this.#finishAll(0);
    for (const handle of [...this.#connections.keys()]) handle.destroy('drain-deadline');
  }

  #admit(transport: string, remoteAddress: string, remotePort: number): number | null {
    const reason: RefusalReason | null = this.#state !== 'listening' ? 'server-draining' : this.#limiter.acquire(remoteAddress);
    const t = this.#transport(transport);
    if (reason !== null) {
      this.coreStats.refused[reason]++;
      t.refused[reason] = (t.refused[reason] ?? 0) + 1;
      this.emitIfHeard('refused', { transport, remoteAddress, remotePort, reason });
      return null;
    }
    this.coreStats.accepted++;
    t.accepted++;
    return this.#nextId++;
  }

  #transport(name: string): TransportStats {
    let t = this.coreStats.transports[name];
    if (t === undefined) this.coreStats.transports[name] = t = { accepted: 0, open: 0, refused: {}, closed: {}, bytesIn: 0, bytesOut: 0 };
    return t;
  }

  #opened(handle: ConnectionHandle, info: PeerInfo): void {
    this.#transport(info.transport).open++;
    this.#connections.set(handle, { ip: info.remoteAddress, transport: info.transport });
    this.#idle.add(handle);
    this.emitIfHeard('connection', info);
  }

  #closed(handle: ConnectionHandle, info: CloseInfo): void {
    const open = this.#connections.get(handle);
    if (open === undefined) return;
    this.#connections.delete(handle);
    this.#idle.delete(handle);
    this.#limiter.release(open.ip);
    this.coreStats.closed[info.reason]++;
    const t = this.#transport(info.transport);
    t.open--;
    t.closed[info.reason] = (t.closed[info.reason] ?? 0) + 1;
    t.bytesIn += info.bytesIn;
    t.bytesOut += info.bytesOut;
    this.emitIfHeard('close', info);
    if (this.#connections.size === 0 && this.#allClosed !== null) this.#allClosed();
  }
}
