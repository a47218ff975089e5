import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EchoVerifier } from '../../src/client/verifier.js';

/** Split a buffer at the given cut points. */
function chunk(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    if (p > prev) out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('EchoVerifier', () => {
  it('accepts the same bytes however both sides are chunked (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.array(fc.nat()), fc.array(fc.nat()), (data, sendCuts, recvCuts) => {
        const v = new EchoVerifier();
        for (const c of chunk(data, sendCuts)) v.sent(c);
        for (const c of chunk(data, recvCuts)) assert.equal(v.received(c), true);
        assert.equal(v.verified, data.length);
        assert.equal(v.outstanding, 0);
      }),
      { numRuns: 300 },
    );
  });
  it('reports the offset of the first differing byte (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat(), fc.array(fc.nat()), (data, at, cuts) => {
        const i = at % data.length;
        const bad = Uint8Array.from(data);
        bad[i] = (bad[i]! + 1) % 256;
        const v = new EchoVerifier();
        v.sent(data);
        let ok = true;
        for (const c of chunk(bad, cuts)) ok = v.received(c) && ok;
        assert.equal(ok, false);
        assert.equal(v.mismatchAt, i);
      }),
      { numRuns: 300 },
    );
  });
  it('flags bytes beyond what was sent', () => {
    const v = new EchoVerifier();
    v.sent(Buffer.from('ab'));
    assert.equal(v.received(Buffer.from('abc')), false);
    assert.equal(v.mismatchAt, 2);
  });
});
