/**
 * The relay bench's ledger: every message a publisher sends, and what became of it at each subscriber of its room.
 * A message is "P<publisher>:<seq>:" and filler to its size; each delivery is checked byte for byte against what
 * was sent, and in order per publisher: a number seen twice is a duplicate, one that comes after a later one was
 * reordered, and one that never comes (within the timeout) is lost. Sequence 0 is the probe that shows a
 * subscriber is in the room before the load starts.
 */
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { createHistogram } from '../histogram.js';

export interface FanoutCounters {
  /** Messages published inside the measured window. */
  published: number;
  /** Deliveries those should make (each to every subscriber of its room). */
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Deliveries whose bytes differ from what was sent (or that no publisher sent). */
  mismatched: number;
}

interface Sent {
  payload: Buffer;
  /** Scheduled send time (performance.now()): latency counts from it. */
  at: number;
  /** Subscribers still to get it. */
  remaining: number;
  /** Sent inside the measured window. */
  window: boolean;
}

/** At most this many skipped numbers are remembered per subscriber (to tell a late one from a duplicate). */
const MAX_MISSING = 10_000;

const FILLER = 0x78; // "x"

/** The bytes of message `seq` from publisher `gid`. */
export function messageBytes(gid: number, seq: number, size: number): Buffer {
  const buf = Buffer.alloc(size, FILLER);
  buf.write(`P${gid}:${seq}:`, 0, 'latin1');
  return buf;
}

/** Parse "P<gid>:<seq>:" at the start of `data`; null when it is not one. */
function header(data: Buffer): { gid: number; seq: number } | null {
  if (data[0] !== 0x50) return null;
  let i = 1;
  let gid = 0;
  let seq = 0;
  for (let c = data[i]; c !== undefined && c >= 0x30 && c <= 0x39; c = data[++i]) gid = gid * 10 + (c - 0x30);
  if (data[i] !== 0x3a || i === 1) return null;
  const mark = ++i;
  for (let c = data[i]; c !== undefined && c >= 0x30 && c <= 0x39; c = data[++i]) seq = seq * 10 + (c - 0x30);
  if (data[i] !== 0x3a || i === mark) return null;
  return { gid, seq };
}

/** One subscriber's view: the last number seen from each publisher of its room, and numbers it skipped. */
export class SubscriberBook {
  readonly last = new Map<number, number>();
  readonly missing = new Set<string>();
  /** Publishers whose probe it has seen. */
  readonly probed = new Set<number>();
}

export class Ledger {
  readonly counters: FanoutCounters = { published: 0, expected: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, mismatched: 0 };
  readonly histogram: Histogram = createHistogram();
  /** Inside the measured window. */
  recording = false;
  readonly #sent: Array<Map<number, Sent>>;
  readonly #subscribersPerRoom: number;
  readonly #size: number;

  constructor(publishers: number, subscribersPerRoom: number, size: number) {
    this.#sent = Array.from({ length: publishers }, () => new Map());
    this.#subscribersPerRoom = subscribersPerRoom;
    this.#size = size;
  }

  /** Publisher `gid` sends `seq`, scheduled at `at`: the bytes to send. */
  send(gid: number, seq: number, at: number): Buffer {
    const payload = messageBytes(gid, seq, this.#size);
    if (this.#subscribersPerRoom > 0) this.#sent[gid]?.set(seq, { payload, at, remaining: this.#subscribersPerRoom, window: this.recording });
    if (this.recording) {
      this.counters.published++;
      this.counters.expected += this.#subscribersPerRoom;
    }
    return payload;
  }

  /** A subscriber (`book`) got `data`. */
  received(book: SubscriberBook, data: Buffer): void {
    const h = header(data);
    if (h === null) {
      if (this.recording) this.counters.mismatched++;
      return;
    }
    if (h.seq === 0) {
      book.probed.add(h.gid);
      return;
    }
    const last = book.last.get(h.gid) ?? 0;
    if (h.seq <= last) {
      const key = `${h.gid}:${h.seq}`;
      if (book.missing.delete(key)) this.counters.reordered++;
      else {
        this.counters.duplicated++;
        return;
      }
    } else {
      for (let s = last + 1; s < h.seq && book.missing.size < MAX_MISSING; s++) book.missing.add(`${h.gid}:${s}`);
      book.last.set(h.gid, h.seq);
    }
    const sent = this.#sent[h.gid]?.get(h.seq);
    if (sent === undefined) {
      // Not a number this publisher has sent (or one already delivered everywhere: then it is a duplicate).
      this.counters.mismatched++;
      return;
    }
    if (!data.equals(sent.payload)) {
      if (sent.window) this.counters.mismatched++;
    } else if (sent.window) {
      this.counters.delivered++;
      this.histogram.recordValue(Math.max(1, Math.round((performance.now() - sent.at) * 1000)));
    }
    if (--sent.remaining === 0) this.#sent[h.gid]?.delete(h.seq);
  }

  /** Deliveries of window messages still owed. */
  get owed(): number {
    let n = 0;
    for (const m of this.#sent) for (const s of m.values()) if (s.window) n += s.remaining;
    return n;
  }

  /** The run is over: what was not delivered by now is lost. */
  settle(): void {
    this.counters.lost = this.owed;
  }
}
