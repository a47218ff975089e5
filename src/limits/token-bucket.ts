/** A token bucket: `rate` tokens a second, holding at most `burst`. One per key in RateLimiter, one per relay member. */
export class TokenBucket {
  tokens: number;
  last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take one token; false when the bucket is empty. */
  take(now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether it has refilled completely by `now` (nothing to remember about it). */
  full(now = performance.now()): boolean {
    return now - this.last >= (this.burst / this.rate) * 1000;
  }
}
