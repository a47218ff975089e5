/**
 * UDP: each datagram carries a sequence number in its first 4 bytes (the link stamps it), so each echo is matched
 * to its send time; the rest is checked byte for byte. An echo that does not come within the timeout is lost (not
 * an error: datagrams may be lost); in the loops a new datagram takes its place. One that overtakes a newer one is
 * counted as reordered.
 */
import { performance } from 'node:perf_hooks';
import type { Link } from '../links/link.js';
import type { Recorder } from '../recorder.js';
import { Connection } from './connection.js';

export class DatagramConnection extends Connection {
  readonly #refill: boolean;
  /** Send times by sequence number, from `#base`; answered and lost slots are -1. */
  #times: number[] = [];
  #head = 0;
  #base = 0;
  #maxSeq = -1;

  constructor(rec: Recorder, link: Link, payload: Buffer, refill: boolean) {
    super(rec, link, payload);
    this.#refill = refill;
  }

  get owed(): boolean {
    return false; // a datagram link has no end of stream to fall short of
  }

  start(now: number, depth: number): void {
    for (let k = 0; k < depth; k++) this.send(now);
  }

  send(at: number): void {
    this.#times.push(at);
    this.rec.sent(this.payload.length);
    this.link.write(this.payload);
  }

  onDatagram(msg: Buffer, seq: number): void {
    if (!this.alive) return;
    const payload = this.payload;
    const idx = seq - this.#base;
    const t = idx >= this.#head && idx < this.#times.length ? (this.#times[idx] as number) : -1;
    if (t < 0) return; // late, or a duplicate: ignored
    // The first 4 bytes are the sequence number (checked by finding its slot); the rest must be the payload.
    if (msg.length !== payload.length || payload.compare(msg, 4, msg.length, 4, payload.length) !== 0) return this.fail('mismatches');
    const now = performance.now();
    this.echoed = true;
    this.#times[idx] = -1;
    if (seq < this.#maxSeq) this.rec.reordered();
    else this.#maxSeq = seq;
    this.rec.datagram(t, now, msg.length);
    this.#advance();
    if (this.#refill && this.rec.running) this.send(now);
  }

  /** Datagrams sent before `before` with no echo yet are lost; in the loops, each is replaced. */
  expire(before: number, now: number): void {
    let lost = 0;
    for (let i = this.#head; i < this.#times.length; i++) {
      const t = this.#times[i] as number;
      if (t < 0) continue;
      if (t > before) break;
      this.#times[i] = -1;
      lost++;
      this.rec.lost(t);
    }
    if (lost === 0) return;
    this.#advance();
    if (this.#refill && this.rec.running) for (let k = 0; k < lost; k++) this.send(now);
  }

  #advance(): void {
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) < 0) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}
