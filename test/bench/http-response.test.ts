import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_HEAD_BYTES, ResponseReader } from '../../src/bench/links/http-response.js';

interface Reply {
  status: number;
  body: Buffer;
  framing: 'length' | 'chunked' | 'head';
  chunks: number[];
}

/** One response on the wire, framed as asked (a 100 Continue before some, headers in any case). */
function wire(r: Reply, i: number): Buffer {
  const pre = i % 3 === 0 ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
  const name = i % 2 === 0 ? 'Content-Length' : 'content-LENGTH';
  if (r.framing === 'chunked') {
    const parts: Buffer[] = [Buffer.from(`${pre}HTTP/1.1 ${r.status} X\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n`)];
    let off = 0;
    for (const n of r.chunks) {
      if (off >= r.body.length) break;
      const piece = r.body.subarray(off, off + n);
      parts.push(Buffer.from(`${piece.length.toString(16)};ext=1\r\n`), piece, Buffer.from('\r\n'));
      off += piece.length;
    }
    if (off < r.body.length) parts.push(Buffer.from(`${(r.body.length - off).toString(16)}\r\n`), r.body.subarray(off), Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\nTrailer: x\r\n\r\n'));
    return Buffer.concat(parts);
  }
  // A HEAD reply says how long the body would be, and has none.
  const head = Buffer.from(`${pre}HTTP/1.1 ${r.status} Some Reason\r\n${name}: ${r.body.length}\r\nConnection: keep-alive\r\n\r\n`);
  return r.framing === 'head' ? head : Buffer.concat([head, r.body]);
}

const reply = fc.record({
  status: fc.constantFrom(200, 201, 299, 301, 404, 500, 503),
  body: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
  framing: fc.constantFrom('length', 'chunked', 'head') as fc.Arbitrary<Reply['framing']>,
  chunks: fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 6 }),
});

describe('ResponseReader', () => {
  it('property: any sequence of responses, split anywhere, comes out whole and in order', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 900 }), { maxLength: 30 }), (generated, cuts) => {
        // Replies to HEAD requests come first (bench's only HEAD is the probe that opens a connection).
        const replies = [...generated.filter((r) => r.framing === 'head'), ...generated.filter((r) => r.framing !== 'head')];
        const got: Array<[number, string]> = [];
        const reader = new ResponseReader((status, body) => got.push([status, body.toString('hex')]));
        const bytes = Buffer.concat(replies.map(wire));
        for (const r of replies) if (r.framing === 'head') reader.expectBodiless();
        // Feed through one reused buffer, as a socket's onread does: nothing may be kept from it.
        const scratch = Buffer.alloc(4096);
        let off = 0;
        for (const n of [...cuts, bytes.length]) {
          if (off >= bytes.length) break;
          const len = bytes.copy(scratch, 0, off, Math.min(off + n, bytes.length, off + scratch.length));
          reader.push(scratch, len);
          scratch.fill(0xee);
          off += len;
        }
        while (off < bytes.length) {
          const len = bytes.copy(scratch, 0, off);
          reader.push(scratch, len);
          off += len;
        }
        assert.deepEqual(got, replies.map((r) => [r.status, r.framing === 'head' ? '' : r.body.toString('hex')]));
        assert.equal(reader.end(), false);
      }),
      { numRuns: 300 },
    );
  });

  it('204 and 304 have no body; a body without framing ends with the connection; a cut response is reported', () => {
    const got: Array<[number, string]> = [];
    const reader = new ResponseReader((status, body) => got.push([status, body.toString()]));
    reader.push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil'));
    reader.push(Buffer.from(' close'));
    assert.deepEqual(got, [[204, ''], [304, '']]);
    assert.equal(reader.end(), false);
    assert.deepEqual(got[2], [200, 'until close']);
    const cut = new ResponseReader(() => assert.fail('no response is whole'));
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    assert.equal(cut.end(), true);
  });

  it('refuses what is not an HTTP/1.x response, bad framing and oversized heads with ERR_NETECHO_PROTOCOL', () => {
    const bad = [
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY',
    ];
    for (const text of bad) {
      const reader = new ResponseReader(() => {});
      assert.throws(() => reader.push(Buffer.from(text)), { code: 'ERR_NETECHO_PROTOCOL' }, text);
    }
    const reader = new ResponseReader(() => {});
    assert.throws(() => reader.push(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`)), { code: 'ERR_NETECHO_PROTOCOL', message: /longer than 65536 bytes/ });
  });
});
