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
});
