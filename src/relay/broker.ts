/**
 * How a relay's rooms reach past one process: a broker carries each publication once per instance (never once per
 * member: each instance fans out to its own members) and numbers it. The local broker is for one process; the Redis
 * broker (redis-broker.ts) shares rooms between instances. Swapping one for the other changes nothing above.
 */
import type { Notice, Publication } from './envelope.js';
import { MemoryHistory, type Recovery } from './history.js';

export type { Recovery } from './history.js';

/** What a broker hands up: publications and presence from other instances, and the state of its link. */
export interface BrokerSink {
  /** This instance, as the others know it. */
  readonly nodeId: string;
  publication(pub: Publication): void;
  notice(notice: Notice): void;
  /** The link to the other instances went down, or came back ("ready"). */
  brokerState(state: 'ready' | 'down', detail: string): void;
}

export interface BrokerStats {
  /** local: one process; the others are a Redis link's state. */
  state: 'local' | 'connecting' | 'ready' | 'down';
  /** Times the link to Redis came back after it was lost. */
  reconnects: number;
  /** Publications that could not be carried to other instances (the link was down). */
  undelivered: number;
  /** Why the link is down (null when it is not). */
  error: string | null;
  /** History kept (in memory, or in Redis Streams: then the messages are Redis's, and bytes 0 as not measured). */
  history: { messages: number; bytes: number };
}

/** A member as presence knows it: its key ("NODE/ID", unique across instances) and its name. */
export interface Presence {
  readonly key: string;
  readonly name: string;
}

/** Who is in a room: the first names in order (at most WHO_LIMIT), and how many in all. */
export interface Who {
  names: string[];
  count: number;
}

/** Names a /who or members notice lists; the count says how many more there are. */
export const WHO_LIMIT = 100;

export interface Broker {
  /** Number `pub` (its id), keep it when there is history, and carry it to the other instances. Never rejects. */
  publish(pub: Publication): void | Promise<void>;
  /** Carry presence (join, leave) to the other instances. */
  announce(notice: Notice): void;
  /** What a client that last saw `since` in `room` missed. */
  recover(room: string, since: string): Recovery | Promise<Recovery>;
  /** `member` joined `room` here: resolves once the other instances deliver the room to it and list it. */
  joined(room: string, member: Presence): void | Promise<void>;
  /** `member` left `room` here (`emptied`: it was the last one here). */
  left(room: string, member: Presence, emptied: boolean): void;
  /** Who is in `room` on every instance; null when this instance's own list is all there is. */
  who(room: string): Promise<Who> | null;
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

  joined(): void {}

  left(room: string, _member: Presence, emptied: boolean): void {
    if (emptied) this.#history.forget(room);
  }

  who(): null {
    return null;
  }

  get stats(): BrokerStats {
    return { state: 'local', reconnects: 0, undelivered: 0, error: null, history: this.#history.size };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
