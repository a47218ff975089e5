/**
 * How a relay's rooms reach past one process: a broker carries each publication once per instance (never once per
 * member: each instance fans out to its own members) and numbers it. The local broker is for one process; the Redis
 * broker (redis-broker.ts) shares rooms between instances. Swapping one for the other changes nothing above.
 */
import type { Notice, Publication } from './envelope.js';
import { MemoryHistory, type Recovery } from './history.js';

export type { Recovery } from './history.js';

/** What a broker hands up: publications and presence from other instances. */
export interface BrokerSink {
  publication(pub: Publication): void;
  notice(notice: Notice): void;
}

export interface BrokerStats {
  /** local: one process; the others are a Redis link's state. */
  state: 'local' | 'connecting' | 'ready' | 'down';
  /** Times the link to Redis came back after it was lost. */
  reconnects: number;
  /** Publications that could not be carried to other instances (the link was down). */
  undelivered: number;
  /** History kept (in memory, or in Redis Streams). */
  history: { messages: number; bytes: number };
}

export interface Broker {
  /** Number `pub` (its id), keep it when there is history, and carry it to the other instances. */
  publish(pub: Publication): void | Promise<void>;
  /** Carry presence (join, leave) to the other instances. */
  announce(notice: Notice): void;
  /** What a client that last saw `since` in `room` missed. */
  recover(room: string, since: string): Recovery | Promise<Recovery>;
  /** Members of `room` on other instances, by name. */
  remoteMembers(room: string): Promise<string[]>;
  /** This instance's members of `room` (kept for other instances' /who), on each change. */
  present(room: string, members: readonly string[]): void;
  /** The room is empty here and need not be numbered on. */
  forget(room: string): void;
  readonly stats: BrokerStats;
  close(): Promise<void>;
}

/** One process: ids and history in memory, nothing to carry elsewhere. */
export class LocalBroker implements Broker {
  readonly #history: MemoryHistory;

  constructor(history: MemoryHistory) {
    this.#history = history;
  }

  publish(pub: Publication): void {
    this.#history.append(pub);
  }

  announce(): void {}

  recover(room: string, since: string): Recovery {
    return this.#history.recover(room, since);
  }

  remoteMembers(): Promise<string[]> {
    return Promise.resolve([]);
  }

  present(): void {}

  forget(room: string): void {
    this.#history.forget(room);
  }

  get stats(): BrokerStats {
    return { state: 'local', reconnects: 0, undelivered: 0, history: this.#history.size };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
