import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSize, parseCount, parseDuration, parseSize } from '../src/units.js';

describe('parseDuration', () => {
  it('reads each unit', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('250us'), 0.25);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(42), 42);
  });
  it('asks for a unit on a bare number', () => {
    assert.throws(() => parseDuration('30', '--idle-timeout'), {
      code: 'ERR_NETECHO_INVALID_ARGUMENT',
      message: 'invalid --idle-timeout: "30" needs a unit (for example 30s or 30ms)',
    });
  });
  it('rejects garbage, negative and unknown units, naming the option', () => {
    assert.throws(() => parseDuration('soon', '--timeout'), /^InvalidArgumentError: invalid --timeout: "soon"/);
    assert.throws(() => parseDuration('-1s', '--timeout'), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
    assert.throws(() => parseDuration('3d', '--timeout'), { message: 'invalid --timeout: "3d" has an unknown unit "d" (use us, ms, s, m or h)' });
    assert.throws(() => parseDuration(-5, 'x'), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
    assert.throws(() => parseDuration('99999h'), /too long/);
  });
});

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    assert.equal(parseSize('64'), 64);
    assert.equal(parseSize('1KiB'), 1024);
    assert.equal(parseSize('64KiB'), 65536);
    assert.equal(parseSize('1MiB'), 1048576);
    assert.equal(parseSize('1mib'), 1048576);
    assert.equal(parseSize('1KB'), 1000);
    assert.equal(parseSize('2GB'), 2e9);
    assert.equal(parseSize('512B'), 512);
    assert.equal(parseSize('1.5KiB'), 1536);
  });
  it('rejects fractions of bytes and unknown units', () => {
    assert.throws(() => parseSize('1.5', '--size'), { message: 'invalid --size: "1.5" is not a whole number of bytes' });
    assert.throws(() => parseSize('1K', '--size'), { message: 'invalid --size: "1K" has an unknown unit "K" (use B, KiB, MiB, GiB, KB, MB or GB)' });
    assert.throws(() => parseSize('lots', '--size'), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
  });
});

describe('parseCount', () => {
  it('takes whole numbers at or above the minimum', () => {
    assert.equal(parseCount('10', '--count', 1), 10);
    assert.throws(() => parseCount('0', '--count', 1), { message: 'invalid --count: "0" (expected a whole number >= 1)' });
    assert.throws(() => parseCount('1e3', '--count', 1), { code: 'ERR_NETECHO_INVALID_ARGUMENT' });
  });
});

describe('formatting', () => {
  it('round-trips round values', () => {
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatSize(1024 * 1024), '1 MiB');
    assert.equal(formatSize(1536), '1.50 KiB');
    assert.equal(formatSize(100), '100 B');
  });
});
