/**
 * The fixed rate (bench --rate): each connection sends on its own schedule, spread evenly over one interval, and
 * each message's latency counts from its *scheduled* time, so a server that stalls shows in the percentiles
 * (coordinated omission corrected, as wrk2 does). Timers tick at 1 ms at most.
 */
import { performance } from 'node:perf_hooks';

/** What the schedule drives: an echo bench connection, or a relay bench publisher. */
export interface Paced {
  readonly alive: boolean;
  /** Send one message scheduled at `at`. */
  send(at: number): void;
  /** Batch the sends of one tick into as few writes as possible. */
  readonly link: { cork(): void; uncork(): void };
}

export class RateSchedule {
  readonly #connections: readonly Paced[];
  readonly #rate: number;
  #next: number[] = [];
  #interval = 0;
  #timer: NodeJS.Timeout | null = null;
  #running = false;

  /** `rate`: messages per second for all of `connections` together. */
  constructor(connections: readonly Paced[], rate: number) {
    this.#connections = connections;
    this.#rate = rate;
  }

  start(now: number): void {
    const live = this.#connections.length;
    if (live === 0 || this.#rate <= 0) return;
    this.#running = true;
    this.#interval = 1000 / (this.#rate / live);
    this.#next = this.#connections.map((_, i) => now + (this.#interval * i) / live);
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    if (!this.#running) return;
    const t = performance.now();
    let due = Infinity;
    this.#connections.forEach((c, i) => {
      if (!c.alive) return;
      let at = this.#next[i] as number;
      if (at <= t) {
        c.link.cork();
        while (at <= t) {
          c.send(at); // latency counts from the scheduled time
          at += this.#interval;
        }
        c.link.uncork();
        this.#next[i] = at;
      }
      if (at < due) due = at;
    });
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, Math.min(1, due - performance.now())));
  }
}
