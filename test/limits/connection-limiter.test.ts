import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionLimiter } from '../../src/limits/connection-limiter.js';

describe('ConnectionLimiter', () => {
  it('enforces the total and per-IP caps and frees places on release', () => {
    const l = new ConnectionLimiter(3, 2);
    assert.equal(l.acquire('a'), null);
    assert.equal(l.acquire('a'), null);
    assert.equal(l.acquire('a'), 'max-connections-per-ip');
    assert.equal(l.acquire('b'), null);
    assert.equal(l.acquire('c'), 'max-connections');
    assert.equal(l.total, 3);
    l.release('a');
    assert.equal(l.acquire('c'), null);
    l.release('unknown'); // never acquired: ignored
    assert.equal(l.total, 3);
  });

  it('with capLoopback off, loopback clients pass the per-IP cap (not the total); others do not', () => {
    const l = new ConnectionLimiter(6, 2, false);
    for (const ip of ['127.0.0.1', '127.0.0.1', '127.0.0.1', '::1', '::ffff:127.0.0.2']) assert.equal(l.acquire(ip), null, ip);
    assert.equal(l.acquire('10.0.0.1'), null);
    assert.equal(l.acquire('10.0.0.1'), 'max-connections');
    const capped = new ConnectionLimiter(10, 2, true);
    capped.acquire('127.0.0.1');
    capped.acquire('127.0.0.1');
    assert.equal(capped.acquire('127.0.0.1'), 'max-connections-per-ip');
    const other = new ConnectionLimiter(10, 1, false);
    other.acquire('192.0.2.7');
    assert.equal(other.acquire('192.0.2.7'), 'max-connections-per-ip');
  });
});
