import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/limits/rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of `rate`, then refills at `rate` per second, per key', () => {
    const r = new RateLimiter(10);
    try {
      let ok = 0;
      for (let i = 0; i < 20; i++) if (r.take('a', 1000)) ok++;
      assert.equal(ok, 10);
      assert.equal(r.take('b', 1000), true, 'another key has its own bucket');
      assert.equal(r.take('a', 1000), false);
      assert.equal(r.take('a', 1100), true, '100 ms refills one token');
      assert.equal(r.take('a', 1100), false);
      r.sweep(5000);
      assert.equal(r.size, 0, 'full buckets are forgotten');
    } finally {
      r.stop();
    }
  });

  it('refuses new keys past maxKeys', () => {
    const r = new RateLimiter(10, { maxKeys: 2 });
    try {
      assert.equal(r.take('a', 0), true);
      assert.equal(r.take('b', 0), true);
      assert.equal(r.take('c', 0), false);
    } finally {
      r.stop();
    }
  });
});
