/**
 * Where plain-TCP reads land (net's `onread`). One scratch buffer per listener serves every connection, and a
 * read is copied out of it before the callback returns, since a write that goes asynchronous keeps a pointer to
 * its bytes. A connection reading large chunks (a 64 KiB message arrives as one 64 KiB read) is lent a buffer of
 * its own instead, and its reads are written straight from there, with no copy. The loan is kept while each write
 * completes at once (the kernel took every byte), replaced when a write is still under way (the pending write
 * owns those bytes until it is done), and given back when the connection reads small chunks again or closes. At
 * most MAX_LOANS per listener, so idle and hostile connections cost what they did.
 */

/** libuv reads at most this much per callback. */
export const READ_BUFFER_SIZE = 64 * 1024;
/** A read this large earns a connection a buffer of its own (when one is free to lend). */
const LARGE_READ = 16 * 1024;
/** A read smaller than this gives the loan back. */
const SMALL_READ = 4 * 1024;
/** At most this many buffers lent per listener (64 x 64 KiB = 4 MiB). */
export const MAX_LOANS = 64;

export interface Borrower {
  /** The buffer lent to this connection, or null (it reads into the shared one). */
  own: Buffer | null;
}

export class ReadBuffers {
  readonly shared = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  loans = 0;
  /** What the socket that just read reads into next; net takes it (via `next`) right after the callback. */
  #next: Buffer = this.shared;

  /** For `onread.buffer`: net calls it once when the socket is made and after every read. */
  readonly next = (): Buffer => {
    const b = this.#next;
    this.#next = this.shared;
    return b;
  };

  /**
   * After `conn`'s read of `nread` bytes was written (from its own buffer when `fromOwn`; `stillWriting` when the
   * write did not complete at once, so that buffer is the write's now): choose the buffer for its next read.
   */
  after(conn: Borrower, nread: number, fromOwn: boolean, stillWriting: boolean): void {
    if (fromOwn) {
      if (nread < SMALL_READ) this.giveBack(conn);
      else if (stillWriting) conn.own = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    } else if (nread >= LARGE_READ && conn.own === null && this.loans < MAX_LOANS) {
      conn.own = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
      this.loans++;
    }
    this.#next = conn.own ?? this.shared;
  }

  /** The connection is done with its loan (it closed, or reads small chunks). */
  giveBack(conn: Borrower): void {
    if (conn.own === null) return;
    conn.own = null;
    this.loans--;
  }
}
