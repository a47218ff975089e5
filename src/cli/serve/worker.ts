/**
 * `serve --workers N`, a worker's side: it serves like a single process, reports its addresses to the primary,
 * drains when the primary asks (or forces on a second signal), and drains by itself when the primary goes away
 * (the IPC channel disconnects: the primary was killed), so its clients are finished rather than dropped.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { ServeOptions } from '../../server/options.js';
import type { Service } from './run.js';

/** Messages from the primary to a worker. */
export type ToWorker = { netecho: 'shutdown'; force: boolean };
/** Messages from a worker to the primary. */
export type FromWorker = { netecho: 'listening'; addresses: string[] };

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** The environment variable that hands the primary's throwaway certificate to its workers (PEM, as JSON). */
const WORKER_TLS_ENV = 'NETECHO_WORKER_TLS';

/** For the primary: the environment that gives every worker the same certificate. */
export function workerTlsEnv(pem: { cert: string; key: string }): Record<string, string> {
  return { [WORKER_TLS_ENV]: JSON.stringify(pem) };
}

/** For a worker: serve the primary's certificate instead of making one of its own. */
export function withPrimaryTls<O extends Pick<ServeOptions, 'tls'>>(options: O): O {
  const handed = process.env[WORKER_TLS_ENV];
  if (handed === undefined) return options;
  const pem = JSON.parse(handed) as { cert: string; key: string };
  return { ...options, tls: { ...options.tls, selfSigned: false, cert: pem.cert, key: pem.key } };
}

export function reportListening(addresses: string[]): void {
  const message: FromWorker = { netecho: 'listening', addresses };
  process.send?.(message);
}

/**
 * Listen to the primary before the server exists, so a shutdown sent during start-up is not lost; `attach`
 * hands over the server once it listens.
 */
export class PrimaryLink {
  #server: Service | null = null;
  #pending: boolean | null = null;

  constructor(log: Logger) {
    // Node's cluster makes a worker exit at once when its IPC channel drops unexpectedly (the primary died),
    // dropping its clients; this worker exits by itself once drained instead.
    if (cluster.worker !== undefined) cluster.worker.exitedAfterDisconnect = true;
    process.on('message', (m: Partial<ToWorker> | null) => {
      if (m?.netecho === 'shutdown') this.#stop(Boolean(m.force));
    });
    process.on('disconnect', () => {
      log.warn(`primary process gone: draining ${this.#server?.connections ?? 0} connection(s)`);
      this.#stop(false);
    });
  }

  /** Drain this worker (SIGTERM sent to it alone). */
  stopSelf(): void {
    this.#stop(false);
  }

  attach(server: Service): void {
    this.#server = server;
    if (this.#pending !== null) this.#stop(this.#pending);
  }

  #stop(force: boolean): void {
    const server = this.#server;
    if (server === null) {
      this.#pending = (this.#pending ?? false) || force;
      return;
    }
    void (force ? server.destroy() : server.close());
  }
}
