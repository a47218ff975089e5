/**
 * Request/response echo over a byte stream (tcp, tls, ws, http): each message's echo is compared in place, byte
 * for byte, against the payload as it arrives, and its round trip recorded. The closed loop and pipeline send a
 * new message for each one that comes back (`refill`); the fixed rate sends on its schedule instead.
 */
import { performance } from 'node:perf_hooks';
import type { Link } from '../links/link.js';
import type { Recorder } from '../recorder.js';
import { Connection } from './connection.js';

export class EchoConnection extends Connection {
  readonly #refill: boolean;
  /** Offset within the message being echoed. */
  #rx = 0;
  /** Send (or scheduled send) times of messages in flight, oldest at `#head`. */
  #times: number[] = [];
  #head = 0;

  constructor(rec: Recorder, link: Link, payload: Buffer, refill: boolean) {
    super(rec, link, payload);
    this.#refill = refill;
  }

  get owed(): boolean {
    return this.#times.length - this.#head > 0 || this.#rx > 0;
  }

  start(now: number, depth: number): void {
    this.link.cork();
    for (let k = 0; k < depth; k++) this.send(now);
    this.link.uncork();
  }

  send(at: number): void {
    this.#times.push(at);
    this.rec.sent(this.payload.length);
    this.link.write(this.payload);
  }

  /** `len` bytes of echo in `chunk` (possibly a shared read buffer: nothing here may keep it). */
  onData(chunk: Buffer, len: number): void {
    if (!this.received(len)) return;
    const payload = this.payload;
    const size = payload.length;
    let rx = this.#rx;
    let i = 0;
    let completed = 0;
    const now = performance.now();
    while (i < len) {
      if (this.#head === this.#times.length) return this.fail('mismatches'); // more bytes than were sent
      const n = Math.min(size - rx, len - i);
      if (payload.compare(chunk, i, i + n, rx, rx + n) !== 0) return this.fail('mismatches');
      rx += n;
      i += n;
      if (rx === size) {
        rx = 0;
        completed++;
        this.rec.roundTrip(this.#times[this.#head++] as number, now);
      }
    }
    this.#rx = rx;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    if (completed > 0 && this.#refill && this.rec.running) {
      if (completed === 1) this.send(now);
      else this.start(now, completed);
    }
  }

  /** An HTTP reply that is not 2xx answers the oldest message: counted by its status, and the loop goes on. */
  override onStatus(status: number): void {
    if (!this.alive) return;
    this.echoed = true;
    if (this.#head === this.#times.length || this.#rx > 0) return this.fail('mismatches');
    this.rec.status(status, this.#times[this.#head++] as number);
    if (this.#refill && this.rec.running) this.send(performance.now());
  }

  expire(before: number): void {
    if (this.#head < this.#times.length && (this.#times[this.#head] as number) < before) this.fail('timeouts');
  }
}
