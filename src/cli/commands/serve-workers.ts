/**
 * `serve --workers N`: N processes share the listeners through node:cluster (the primary accepts and hands
 * connections out round-robin). The primary forwards the drain: first signal drains every worker, second forces.
 * Limits apply per worker.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

interface WorkerMessage {
  netecho: 'listening';
  addresses: string[];
}

interface ShutdownMessage {
  netecho: 'shutdown';
  force: boolean;
}

export function isWorker(): boolean {
  return cluster.isWorker;
}

export function reportToPrimary(addresses: string[]): void {
  const message: WorkerMessage = { netecho: 'listening', addresses };
  process.send?.(message);
}

export function onPrimaryShutdown(handler: (force: boolean) => void): void {
  process.on('message', (m: Partial<ShutdownMessage> | null) => {
    if (m?.netecho === 'shutdown') handler(Boolean(m.force));
  });
  // If the primary dies, do not linger as an orphan holding the port.
  process.on('disconnect', () => handler(false));
}

/** The environment variable that hands the primary's throwaway certificate to its workers (PEM, as JSON). */
export const WORKER_TLS_ENV = 'NETECHO_WORKER_TLS';

export function runWorkers(count: number, log: Logger, io: CliIo, json: boolean, extra: { env?: Record<string, string>; fingerprint256?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const workers = new Set<Worker>();
    let ready = 0;
    let started = false;
    let signals = 0;
    let forced: NodeJS.Signals | null = null;
    let failure: number | null = null;

    const broadcast = (force: boolean): void => {
      const message: ShutdownMessage = { netecho: 'shutdown', force };
      for (const w of workers) if (w.isConnected()) w.send(message);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        log.warn(`${signal}: draining ${workers.size} worker(s); signal again to close at once`);
        broadcast(false);
      } else {
        forced = signal;
        log.warn(`${signal}: closing all connections now`);
        broadcast(true);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    for (let i = 0; i < count; i++) {
      const worker = cluster.fork(extra.env);
      workers.add(worker);
      worker.on('message', (m: Partial<WorkerMessage> | null) => {
        if (m?.netecho !== 'listening' || !Array.isArray(m.addresses)) return;
        ready++;
        if (ready === count && !started) {
          started = true;
          for (const url of m.addresses) log.info(`listening on ${url} with ${count} workers`);
          const doc = { addresses: m.addresses, workers: count, ...(extra.fingerprint256 !== undefined && { fingerprint256: extra.fingerprint256 }) };
          io.stdout.write(json ? `${JSON.stringify(doc)}\n` : m.addresses.map((a) => `${a}\n`).join(''));
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (!started && failure === null) {
          // A worker that could not start (port in use...) has said why on stderr; stop the others.
          failure = code ?? EXIT.SOFTWARE;
          for (const w of workers) w.kill();
        } else if (signals === 0 && failure === null) {
          log.error({ code, signal }, `worker ${worker.process.pid} exited unexpectedly`);
          failure = EXIT.SOFTWARE;
          broadcast(false);
        }
        if (workers.size === 0) {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
          if (failure !== null) resolve(failure);
          else resolve(forced === null ? EXIT.OK : 128 + (forced === 'SIGINT' ? 2 : 15));
        }
      });
    }
  });
}
