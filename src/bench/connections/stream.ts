/**
 * Streaming (bench --stream): each connection writes as fast as the link takes it and checks the echo as it comes,
 * continuously; a round trip is one payload's worth of echo (bandwidth, no latency: writes are not paired with
 * reads).
 */
import type { Link } from '../links/link.js';
import type { Recorder } from '../recorder.js';
import { Connection } from './connection.js';

export class StreamConnection extends Connection {
  /** Offset within the payload the echo has reached. */
  #rx = 0;

  constructor(rec: Recorder, link: Link, payload: Buffer) {
    super(rec, link, payload);
    link.on('drain', () => this.pump());
  }

  get owed(): boolean {
    return false; // a stream ends when the server ends it; nothing is owed message by message
  }

  start(): void {
    this.pump();
  }

  send(): void {
    this.pump();
  }

  /** Write until the link pushes back; 'drain' calls again. */
  pump(): void {
    const size = this.payload.length;
    while (this.alive && this.rec.running) {
      this.rec.sent(size);
      if (!this.link.write(this.payload)) return;
    }
  }

  onData(chunk: Buffer, len: number): void {
    if (!this.received(len)) return;
    const payload = this.payload;
    const size = payload.length;
    let rx = this.#rx;
    for (let i = 0; i < len; ) {
      const n = Math.min(size - rx, len - i);
      if (payload.compare(chunk, i, i + n, rx, rx + n) !== 0) return this.fail('mismatches');
      rx += n;
      i += n;
      if (rx === size) {
        rx = 0;
        this.rec.streamed();
      }
    }
    this.#rx = rx;
  }

  expire(): void {}
}
