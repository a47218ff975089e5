/**
 * Recent messages per room, kept so that a client that reconnects with ?since=ID gets what it missed. In memory,
 * bounded three ways: the last N per room, nothing older than the TTL, and a total byte cap (the oldest go first).
 * Each room numbers its messages itself (EPOCH:SEQ); the epoch changes when a room's numbering starts afresh, so
 * an id from before that is recognised as such.
 */
import type { Publication } from './envelope.js';

/** What a client reconnecting with ?since=ID gets. */
export interface Recovery {
  /** The messages after ID that are still kept, oldest first. */
  messages: Publication[];
  /** Messages after ID that cannot be recovered: a count, null when unknown, 0 when none. */
  missed: number | null;
  /** Why some could not be recovered (for the gap notice). */
  reason: string;
}

interface RoomLog {
  epoch: string;
  seq: number;
  items: Publication[];
}

/** A new epoch: time-based and random, so two processes, or one restarted, never share one. */
export function newEpoch(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}

/** Parse "EPOCH:SEQ"; null when it is not one. */
export function parseId(id: string): { epoch: string; seq: number } | null {
  const m = /^([0-9a-z]{1,24}):(\d{1,15})$/.exec(id);
  return m === null ? null : { epoch: m[1] ?? '', seq: Number(m[2]) };
}

export class MemoryHistory {
  readonly #perRoom: number;
  readonly #ttlMs: number;
  readonly #maxBytes: number;
  readonly #logs = new Map<string, RoomLog>();
  /** Every kept message in arrival order, for the global byte cap. */
  readonly #order: Publication[] = [];
  #orderHead = 0;
  #bytes = 0;
  /** Messages already out of their room's log (the per-room cap), still waiting in #order. */
  readonly #released = new WeakSet<Publication>();

  constructor(perRoom: number, ttlMs: number, maxBytes: number) {
    this.#perRoom = perRoom;
    this.#ttlMs = ttlMs;
    this.#maxBytes = maxBytes;
  }

  /** Messages and bytes kept now. */
  get size(): { messages: number; bytes: number } {
    return { messages: this.#order.length - this.#orderHead, bytes: this.#bytes };
  }

  /** Number `pub` (its id) and keep it. */
  append(pub: Publication): void {
    let log = this.#logs.get(pub.room);
    if (log === undefined) {
      log = { epoch: newEpoch(), seq: 0, items: [] };
      this.#logs.set(pub.room, log);
    }
    pub.epoch = log.epoch;
    pub.seq = ++log.seq;
    pub.id = `${log.epoch}:${log.seq}`;
    if (this.#perRoom === 0) return;
    log.items.push(pub);
    this.#order.push(pub);
    this.#bytes += pub.size;
    if (log.items.length > this.#perRoom) this.#drop(log.items.shift() as Publication);
    while (this.#bytes > this.#maxBytes && this.#orderHead < this.#order.length) this.#evictOldest();
  }

  /** What a client that last saw `since` in `room` missed. */
  recover(room: string, since: string, now = Date.now()): Recovery {
    this.expire(now);
    const log = this.#logs.get(room);
    const kept = log?.items ?? [];
    const id = parseId(since);
    if (this.#perRoom === 0) return { messages: [], missed: null, reason: 'this relay keeps no history' };
    if (id === null || log === undefined || id.epoch !== log.epoch) {
      // An id from another numbering (a restart, another relay): all that is kept is new to this client.
      return { messages: [...kept], missed: null, reason: id === null ? 'not an id this relay gave' : 'the room was renumbered since (a restart)' };
    }
    const messages = kept.filter((p) => p.seq > id.seq);
    const first = messages[0]?.seq ?? log.seq + 1;
    const missed = Math.max(0, Math.min(first, log.seq + 1) - id.seq - 1);
    return { messages, missed, reason: missed > 0 ? `more than the ${this.#perRoom} kept, or older than the history TTL` : '' };
  }

  /** Forget messages older than the TTL. */
  expire(now = Date.now()): void {
    const oldest = now - this.#ttlMs;
    while (this.#orderHead < this.#order.length && (this.#order[this.#orderHead] as Publication).ts < oldest) this.#evictOldest();
  }

  /** Forget a room whose numbering need not survive (no members, nothing kept). */
  forget(room: string): void {
    const log = this.#logs.get(room);
    if (log !== undefined && log.items.length === 0) this.#logs.delete(room);
  }

  #evictOldest(): void {
    const pub = this.#order[this.#orderHead++] as Publication;
    if (!this.#released.has(pub)) {
      // The oldest of all is the oldest of its room too.
      const log = this.#logs.get(pub.room);
      if (log !== undefined && log.items[0] === pub) log.items.shift();
      this.#bytes -= pub.size;
    }
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
      this.#order.splice(0, this.#orderHead);
      this.#orderHead = 0;
    }
  }

  /** `pub` left its room's log by the per-room cap: stop counting its bytes (it leaves #order lazily). */
  #drop(pub: Publication): void {
    this.#bytes -= pub.size;
    this.#released.add(pub);
  }
}
