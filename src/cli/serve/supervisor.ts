/**
 * `serve --workers N`, the primary's side: N processes share the listeners through node:cluster (the primary
 * accepts and hands connections out round-robin). The primary supervises them as PM2 and nginx's master do:
 *
 * - a worker that dies is logged with its exit code or signal, counted, and replaced, after a backoff that
 *   doubles with each consecutive fast death (one within FAST_DEATH_MS of its start);
 * - after MAX_FAST_DEATHS fast deaths in a row it gives up loudly: the others drain and the primary exits 70;
 * - forking is one worker per event-loop turn, so a signal during start-up is handled between forks; the first
 *   SIGINT/SIGTERM drains every worker (those not yet listening are stopped), a second one forces.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { EXIT } from '../exit-codes.js';
import { SIGNAL_EXIT, onStopSignals } from './signals.js';
import type { ToWorker, FromWorker } from './worker.js';

/** A worker that dies sooner than this after it started is a fast death (a crash loop in the making). */
export const FAST_DEATH_MS = 10_000;
/** Consecutive fast deaths before the primary gives up. */
export const MAX_FAST_DEATHS = 5;
/** Backoff before replacing a worker: BASE x 2^(fast deaths - 1), at most MAX. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5000;

export interface SupervisorOptions {
  count: number;
  log: Logger;
  /** Extra environment for every worker (the primary's throwaway certificate). */
  env?: Record<string, string>;
  /** Once, when all `count` workers first listen: the addresses they listen on. */
  onReady: (addresses: string[]) => void;
}

export interface SupervisorResult {
  exitCode: number;
  /** Workers that died while the service was running, and replacements started. */
  died: number;
  replaced: number;
}

interface Slot {
  worker: Worker;
  startedAt: number;
  listening: boolean;
}

/** Run N workers until a signal (or a crash loop) stops them. Resolves when the last worker has exited. */
/** Workers hold many idle connections: cap V8's young generation (about 1 KB less RSS each, docs/benchmarks.md). */
const WORKER_EXEC_ARGV = ['--max-semi-space-size=4'];

export function supervise(options: SupervisorOptions): Promise<SupervisorResult> {
  const { count, log } = options;
  const execArgv = [...process.execArgv.filter((a) => !a.startsWith('--max-semi-space-size')), ...WORKER_EXEC_ARGV];
  // advanced: messages carry bytes as bytes (the relay's workers share messages through the primary).
  cluster.setupPrimary({ execArgv, serialization: 'advanced' });
  return new Promise((resolve) => {
    const slots = new Set<Slot>();
    const timers = new Set<NodeJS.Timeout>();
    let state: 'starting' | 'running' | 'stopping' = 'starting';
    let exitCode: number = EXIT.OK;
    let fastDeaths = 0;
    let died = 0;
    let replaced = 0;

    const send = (slot: Slot, message: ToWorker): void => {
      if (slot.worker.isConnected()) slot.worker.send(message);
    };
    const stop = (force: boolean): void => {
      state = 'stopping';
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const slot of slots) {
        // A worker not listening yet has no clients to drain.
        if (slot.listening) send(slot, { netecho: 'shutdown', force });
        else slot.worker.process.kill('SIGKILL');
      }
      finishIfDone();
    };
    const finishIfDone = (): void => {
      if (state !== 'stopping' || slots.size > 0) return;
      removeSignals();
      resolve({ exitCode, died, replaced });
    };
    const removeSignals = onStopSignals((signal, n) => {
      if (n === 1) {
        log.warn(`${signal}: draining ${slots.size} worker(s); signal again to close at once`);
        stop(false);
      } else {
        exitCode = SIGNAL_EXIT[signal];
        log.warn(`${signal}: closing all connections now`);
        stop(true);
      }
    });

    const fork = (replacing: number | null): void => {
      if (state === 'stopping') return;
      const slot: Slot = { worker: cluster.fork(options.env), startedAt: Date.now(), listening: false };
      slots.add(slot);
      slot.worker.on('message', (m: Partial<FromWorker> | null) => {
        if (m?.netecho !== 'listening' || !Array.isArray(m.addresses)) return;
        slot.listening = true;
        if (state === 'stopping') {
          send(slot, { netecho: 'shutdown', force: false });
          return;
        }
        const pid = slot.worker.process.pid;
        if (replacing !== null) log.info({ worker: pid, replacing }, `worker ${pid} listening, replacing worker ${replacing}`);
        else log.info({ worker: pid }, `worker ${pid} listening`);
        if (state === 'starting' && [...slots].filter((s) => s.listening).length === count) {
          state = 'running';
          options.onReady(m.addresses);
        }
      });
      slot.worker.on('exit', (code, signal) => {
        slots.delete(slot);
        onExit(slot, code, (signal as NodeJS.Signals | null) || null);
        finishIfDone();
      });
    };

    const onExit = (slot: Slot, code: number | null, signal: NodeJS.Signals | null): void => {
      if (state === 'stopping') return;
      const pid = slot.worker.process.pid;
      if (state === 'starting' && !slot.listening) {
        // A worker that could not start (port in use...) has said why on stderr: stop the others.
        exitCode = code !== null && code !== 0 ? code : EXIT.SOFTWARE;
        stop(false);
        return;
      }
      died++;
      const lived = Date.now() - slot.startedAt;
      fastDeaths = lived < FAST_DEATH_MS || !slot.listening ? fastDeaths + 1 : 1;
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      if (fastDeaths >= MAX_FAST_DEATHS) {
        log.error(
          { worker: pid, code, signal, fastDeaths },
          `worker ${pid} died (${how}); ${fastDeaths} workers died within ${FAST_DEATH_MS / 1000} s of starting: giving up`,
        );
        exitCode = EXIT.SOFTWARE;
        stop(false);
        return;
      }
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (fastDeaths - 1));
      log.error({ worker: pid, code, signal, lifetimeMs: lived }, `worker ${pid} died (${how}); replacing it in ${delay} ms`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        replaced++;
        fork(pid ?? null);
      }, delay);
      timers.add(timer);
    };

    // One fork per turn of the event loop: a signal during start-up is seen between forks.
    let started = 0;
    const forkNext = (): void => {
      if (state !== 'starting' || started >= count) return;
      started++;
      fork(null);
      setImmediate(forkNext);
    };
    forkNext();
  });
}
