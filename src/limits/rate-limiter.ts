/**
 * A token bucket per key (a source address): `rate` tokens per second, bursts up to `rate`. Memory is bounded:
 * buckets idle long enough to be full again are dropped by a sweep, and past `maxKeys` new keys are refused
 * until the sweep makes room (a flood of spoofed sources cannot grow it without bound).
 */

interface Bucket {
  tokens: number;
  last: number;
}

export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();
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
      b = { tokens: this.#burst, last: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.last) * this.#rate) / 1000);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Keys being tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forget buckets that have refilled completely (nothing to remember about them). */
  sweep(now = performance.now()): void {
    const fullAfterMs = (this.#burst / this.#rate) * 1000;
    for (const [key, b] of this.#buckets) if (now - b.last >= fullAfterMs) this.#buckets.delete(key);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
