import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LOANS, READ_BUFFER_SIZE, ReadBuffers, type Borrower } from '../../src/transports/read-buffers.js';

describe('ReadBuffers (where plain-TCP reads land)', () => {
  it('small reads stay on the shared buffer; a large read earns a loan, used for the next read only by that connection', () => {
    const reads = new ReadBuffers();
    const a: Borrower = { own: null };
    assert.equal(reads.next(), reads.shared);
    reads.after(a, 1024, false, false);
    assert.equal(reads.next(), reads.shared);
    assert.equal(a.own, null);
    reads.after(a, READ_BUFFER_SIZE, false, false);
    const lent = a.own as Buffer | null;
    assert.ok(lent !== null && lent !== reads.shared && lent.length === READ_BUFFER_SIZE);
    assert.equal(reads.loans, 1);
    // net takes the next buffer once: whoever is asked after that (a new socket) gets the shared one.
    assert.equal(reads.next(), lent);
    assert.equal(reads.next(), reads.shared);
  });

  it('a write still under way keeps the lent buffer: the connection gets a new one; written at once, it keeps it', () => {
    const reads = new ReadBuffers();
    const a: Borrower = { own: null };
    reads.after(a, READ_BUFFER_SIZE, false, false);
    const first = a.own as Buffer | null;
    reads.after(a, READ_BUFFER_SIZE, true, false);
    assert.equal(a.own, first);
    reads.after(a, READ_BUFFER_SIZE, true, true);
    assert.ok(a.own !== null && a.own !== first);
    assert.equal(reads.loans, 1);
    assert.equal(reads.next(), a.own);
  });

  it('a small read or a close gives the loan back; at most MAX_LOANS are out at once', () => {
    const reads = new ReadBuffers();
    const conns: Borrower[] = Array.from({ length: MAX_LOANS + 5 }, () => ({ own: null }));
    for (const c of conns) reads.after(c, READ_BUFFER_SIZE, false, false);
    assert.equal(reads.loans, MAX_LOANS);
    assert.equal(conns.filter((c) => c.own !== null).length, MAX_LOANS);
    const [first, second] = conns as [Borrower, Borrower];
    reads.after(first, 100, true, false);
    assert.equal(first.own, null);
    assert.equal(reads.next(), reads.shared);
    reads.giveBack(second);
    reads.giveBack(second);
    assert.equal(reads.loans, MAX_LOANS - 2);
    const late = conns[MAX_LOANS] as Borrower;
    reads.after(late, READ_BUFFER_SIZE, false, false);
    assert.ok(late.own !== null);
    assert.equal(reads.loans, MAX_LOANS - 1);
  });
});
