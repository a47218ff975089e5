import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeForLog } from '../../src/telemetry/escape.js';
import { createLogger, formatText } from '../../src/telemetry/logger.js';

describe('escapeForLog', () => {
  it('makes newlines, escapes and control characters visible', () => {
    assert.equal(escapeForLog('a\nb\r\tc'), 'a\\nb\\r\\tc');
    assert.equal(escapeForLog('\x1b[31mred'), '\\x1b[31mred');
    assert.equal(escapeForLog('\u2028\x00\\'), '\\u2028\\x00\\\\');
    assert.equal(escapeForLog('plain text: ok'), 'plain text: ok');
  });
  it('never leaves a control character or line break in its output (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(escapeForLog(s), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('text logger', () => {
  it('writes one line per event, fields as key=value, escaped', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'text', level: 'info', destination: { write: (l: string) => lines.push(l) } });
    log.info({ peer: '127.0.0.1:5', path: '/x\nINFO forged' }, 'open');
    log.debug('hidden');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} INFO {2}open peer=127\.0\.0\.1:5 path="\/x\\nINFO forged"\n$/);
  });
  it('json format: pino lines with the level and message', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'warn', destination: { write: (l: string) => lines.push(l) } });
    log.info('hidden');
    log.warn({ reason: 'send-stall' }, 'close');
    const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.deepEqual([rec.level, rec.msg, rec.reason, lines.length], [40, 'close', 'send-stall', 1]);
  });
  it('formatText passes a non-JSON line through', () => {
    assert.equal(formatText('not json'), 'not json');
  });
});
