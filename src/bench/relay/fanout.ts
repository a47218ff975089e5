/**
 * A fan-out run: R rooms, each with P publishers and S subscribers (spread over the relay instances given),
 * publishers at a fixed rate each (open loop: latency from each message's scheduled time), every delivery
 * checked by the ledger. Before the load, probes show every subscriber is in its room (on every instance).
 */
import { performance } from 'node:perf_hooks';
import { ConnectionClosedError, NetechoError, TimeoutError } from '../../errors.js';
import { RateSchedule, type Paced } from '../rate-schedule.js';
import type { BenchMember, DialMember } from './members.js';
import { Ledger, SubscriberBook, messageBytes } from './ledger.js';
import type { RelayBenchConfig } from './options.js';

const PARALLEL_CONNECTS = 256;
const PROBE_INTERVAL_MS = 100;

class Publisher implements Paced {
  readonly gid: number;
  readonly member: BenchMember;
  readonly #ledger: Ledger;
  #seq = 0;

  constructor(gid: number, member: BenchMember, ledger: Ledger) {
    this.gid = gid;
    this.member = member;
    this.#ledger = ledger;
  }

  get alive(): boolean {
    return this.member.alive;
  }

  get link(): BenchMember['link'] {
    return this.member.link;
  }

  send(at: number): void {
    this.member.send(this.#ledger.send(this.gid, ++this.#seq, at));
  }
}

export interface FanoutOutcome {
  ledger: Ledger;
  windowMs: number;
  cpuMicros: number;
  connections: number;
  /** Members the relay closed during the run. */
  closed: number;
}

export class FanoutRun {
  readonly #c: RelayBenchConfig;
  readonly #ledger: Ledger;
  readonly #publishers: Publisher[] = [];
  readonly #subscribers: Array<{ room: number; book: SubscriberBook; member: BenchMember | null }> = [];
  readonly #dialMember: (o: DialMember) => Promise<BenchMember>;
  #closed = 0;
  #stopped = false;

  constructor(config: RelayBenchConfig, dial: (o: DialMember) => Promise<BenchMember>) {
    this.#c = config;
    this.#dialMember = dial;
    this.#ledger = new Ledger(config.rooms * config.publishers, config.subscribers, config.size);
  }

  /**
   * Open every member (subscribers first, then publishers).
   * @throws the first connect error, saying how many failed: a fan-out cannot be checked with members missing
   */
  async connect(signal?: AbortSignal): Promise<void> {
    const c = this.#c;
    const jobs: Array<() => Promise<void>> = [];
    for (let r = 0; r < c.rooms; r++) {
      for (let j = 0; j < c.subscribers; j++) {
        const sub = { room: r, book: new SubscriberBook(), member: null as BenchMember | null };
        this.#subscribers.push(sub);
        const endpoint = c.subscribeEndpoints[(r * c.subscribers + j) % c.subscribeEndpoints.length] ?? c.endpoint;
        jobs.push(async () => {
          sub.member = await this.#dial(endpoint, r, (data) => this.#ledger.received(sub.book, data));
        });
      }
    }
    const pubJobs: Array<() => Promise<void>> = [];
    for (let r = 0; r < c.rooms; r++) {
      for (let p = 0; p < c.publishers; p++) {
        const gid = r * c.publishers + p;
        pubJobs.push(async () => {
          this.#publishers[gid] = new Publisher(gid, await this.#dial(c.endpoint, r, () => {}), this.#ledger);
        });
      }
    }
    await this.#runAll(jobs, signal);
    await this.#runAll(pubJobs, signal);
  }

  /**
   * Probe until every subscriber has heard from every publisher of its room (it is in, on its instance).
   * @throws ERR_NETECHO_TIMEOUT when some have not within the timeout
   */
  async probe(signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + this.#c.timeoutMs;
    const P = this.#c.publishers;
    const ready = (): number => this.#subscribers.filter((s) => s.book.probed.size < P).length;
    for (;;) {
      for (const p of this.#publishers) p.member.send(messageBytes(p.gid, 0, this.#c.size));
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
      const waiting = ready();
      if (waiting === 0 || signal?.aborted) return;
      if (performance.now() > deadline) {
        throw new TimeoutError(
          `${waiting} of ${this.#subscribers.length} subscriber(s) got nothing from the publishers of their room within ${this.#c.timeoutMs} ms: ` +
            'are the relay instances sharing rooms (through one Redis)?',
        );
      }
    }
  }

  /** Publish for the warm-up and the window, then wait (up to the timeout) for what is still on its way. */
  async run(signal?: AbortSignal, hooks: { onMeasuring?: () => void; onStopped?: () => void } = {}): Promise<FanoutOutcome> {
    const c = this.#c;
    const schedule = new RateSchedule(this.#publishers, c.rate * this.#publishers.length);
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(done, ms);
        function done(): void {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    schedule.start(performance.now());
    if (c.warmupMs > 0) await sleep(c.warmupMs);
    hooks.onMeasuring?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.#ledger.recording = true;
    if (!signal?.aborted) await sleep(c.durationMs);
    this.#ledger.recording = false;
    schedule.stop();
    const windowMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    hooks.onStopped?.();
    // What is still on its way gets the timeout to arrive.
    const deadline = performance.now() + c.timeoutMs;
    while (this.#ledger.owed > 0 && performance.now() < deadline && !signal?.aborted && this.#closed === 0) await sleep(20);
    this.#ledger.settle();
    return { ledger: this.#ledger, windowMs, cpuMicros: cpu.user + cpu.system, connections: this.#subscribers.length + this.#publishers.length, closed: this.#closed };
  }

  close(): void {
    this.#stopped = true;
    for (const p of this.#publishers) p?.member.close();
    for (const s of this.#subscribers) s.member?.close();
  }

  #dial(endpoint: RelayBenchConfig['endpoint'], room: number, onMessage: (data: Buffer) => void): Promise<BenchMember> {
    return this.#dialMember({
      endpoint,
      room: `${this.#c.roomPrefix}${room}`,
      timeoutMs: this.#c.timeoutMs,
      tls: this.#c.tls,
      handlers: {
        onMessage,
        onClose: () => {
          if (!this.#stopped) this.#closed++;
        },
      },
    });
  }

  /** Run connect jobs, PARALLEL_CONNECTS at a time (and at the connect rate); the first failure is thrown once all are done. */
  async #runAll(jobs: Array<() => Promise<void>>, signal?: AbortSignal): Promise<void> {
    let next = 0;
    let failed = 0;
    let first: unknown = null;
    const gap = this.#c.connectRate > 0 ? 1000 / this.#c.connectRate : 0;
    const start = performance.now();
    const lane = async (): Promise<void> => {
      while (next < jobs.length && !signal?.aborted) {
        const i = next++;
        if (gap > 0) {
          const wait = start + i * gap - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        try {
          await (jobs[i] as () => Promise<void>)();
        } catch (err) {
          failed++;
          first ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CONNECTS, jobs.length) }, lane));
    if (failed > 0) {
      const why = first instanceof Error ? first.message : String(first);
      const message = `${failed} of ${jobs.length} member connection(s) could not be opened; the first: ${why}`;
      // The first failure's kind (refused, TLS, timeout...) decides the exit code; the message says how many.
      if (first instanceof NetechoError) {
        first.message = message;
        throw first;
      }
      throw new ConnectionClosedError(message);
    }
  }
}
