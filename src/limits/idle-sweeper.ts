/**
 * The idle timeout without a timer per connection. Node's socket.setTimeout() refreshes a timer on every read
 * and write; measured, it cost 2.5x the server CPU per 64 KiB round trip (docs/benchmarks.md). Instead one
 * timer per server looks at each connection's byte counters every `idleMs / 4` (at most once a second) and
 * closes those whose counters have not moved for `idleMs`. Nothing happens on the read path.
 */

export interface Sweepable {
  /** Any number that changes whenever a byte moves in either direction (bytes read + bytes written). */
  activity(): number;
}

interface Seen {
  count: number;
  since: number;
}

export class IdleSweeper<T extends Sweepable> {
  readonly #idleMs: number;
  readonly #onIdle: (item: T) => void;
  readonly #items = new Map<T, Seen>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;

  /** `idleMs` 0 disables the sweeper. */
  constructor(idleMs: number, onIdle: (item: T) => void) {
    this.#idleMs = idleMs;
    this.#onIdle = onIdle;
    this.#intervalMs = Math.min(1000, Math.max(10, Math.floor(idleMs / 4)));
  }

  add(item: T): void {
    if (this.#idleMs <= 0) return;
    this.#items.set(item, { count: item.activity(), since: Date.now() });
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#sweep(), this.#intervalMs);
      this.#timer.unref(); // never the reason a process stays up
    }
  }

  delete(item: T): void {
    this.#items.delete(item);
    if (this.#items.size === 0) this.stop();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #sweep(): void {
    const now = Date.now();
    const idle: T[] = [];
    for (const [item, seen] of this.#items) {
      const count = item.activity();
      if (count !== seen.count) {
        seen.count = count;
        seen.since = now;
      } else if (now - seen.since >= this.#idleMs) {
        idle.push(item);
      }
    }
    for (const item of idle) {
      this.#items.delete(item);
      this.#onIdle(item);
    }
    if (this.#items.size === 0) this.stop();
  }
}
