/**
 * Checks an echo against what was sent, chunk by chunk, keeping only the bytes still in flight.
 */
export class EchoVerifier {
  readonly #pending: Buffer[] = [];
  #head = 0; // offset into pending[0]
  #verified = 0;
  #mismatchAt = -1;

  /** Bytes confirmed equal so far. */
  get verified(): number {
    return this.#verified;
  }

  /** Offset of the first differing byte, or -1. */
  get mismatchAt(): number {
    return this.#mismatchAt;
  }

  /** Bytes sent and not yet echoed. */
  get outstanding(): number {
    let n = 0;
    for (const b of this.#pending) n += b.length;
    return n - this.#head;
  }

  sent(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  /**
   * Compare received bytes. Returns false at the first difference, or when more came back than was sent.
   */
  received(chunk: Uint8Array): boolean {
    if (this.#mismatchAt >= 0) return false;
    let offset = 0;
    while (offset < chunk.length) {
      const head = this.#pending[0];
      if (head === undefined) {
        this.#mismatchAt = this.#verified;
        return false;
      }
      const n = Math.min(head.length - this.#head, chunk.length - offset);
      if (Buffer.compare(head.subarray(this.#head, this.#head + n), chunk.subarray(offset, offset + n)) !== 0) {
        for (let i = 0; i < n; i++) {
          if (head[this.#head + i] !== chunk[offset + i]) {
            this.#mismatchAt = this.#verified + i;
            break;
          }
        }
        return false;
      }
      offset += n;
      this.#verified += n;
      this.#head += n;
      if (this.#head === head.length) {
        this.#pending.shift();
        this.#head = 0;
      }
    }
    return true;
  }
}
