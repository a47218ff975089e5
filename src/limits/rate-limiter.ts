/**
 * A token bucket per key (a source address): `rate` tokens per second, bursts up to `rate`. Memory is bounded:
 * buckets idle long enough to be full again are dropped by a sweep, and past `maxKeys` new keys are refused
 * until the sweep makes room (a flood of spoofed sources cannot grow it without bound).
 */

import { TokenBucket } from './token-bucket.js';

export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #timer: NodeJS.Timeout;

  constructor(ratePerSecond: number, options: { burst?: number; maxKeys?: number; sweepMs?: number } = {}) {
    this.#rate = ratePerSecond;
    this.#burst = options.burst ?? ratePerSecond;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#timer = setInterval(() => this.sweep(), options.sweepMs ?? 10_000);
    this.#timer.unref();
  }

  /** Take one token for `key`. False when its bucket is empty (or the table is full). */
  take(key: string, now = performance.now()): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) return false;
      b = new TokenBucket(this.#rate, this.#burst, now);
      this.#buckets.set(key, b);
    }
    return b.take(now);
  }

  /** Keys being tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forget buckets that have refilled completely (nothing to remember about them). */
  sweep(now = performance.now()): void {
    for (const [key, b] of this.#buckets) if (b.full(now)) this.#buckets.delete(key);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
