/**
 * The relay's two connections to Redis (one for commands, one subscribed), and their state: up, or down and
 * coming back with backoff. Commands are never queued while the link is down (they fail at once, and the relay
 * delivers locally meanwhile); a link that cannot be made at start is a clear error unless the relay may start
 * without it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { NetechoError, ProtocolError, fromConnectError } from '../errors.js';
import { requireOnFirstUse } from '../require-on-first-use.js';

/** A Redis URL fit to print: the password replaced by ***. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'redis://(unparsable)';
  }
}

/** Backoff between reconnect attempts: 50 ms, doubling, at most 2 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

/** ioredis, loaded by the first relay that uses Redis: a process that never talks to Redis does not carry it. */
const ioredis = requireOnFirstUse<typeof import('ioredis')>('ioredis');

export interface RedisLinkEvents {
  /** Both connections are up (again). */
  up(): void;
  /** One of them was lost: why. */
  down(reason: string): void;
}

export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly target: string;
  #started = false;
  #closing = false;
  #up = false;
  #lastError: Error | null = null;
  readonly #events: RedisLinkEvents;

  constructor(url: string, connectTimeoutMs: number, events: RedisLinkEvents) {
    this.target = `Redis at ${redactRedisUrl(url)}`;
    this.#events = events;
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      connectTimeout: connectTimeoutMs,
      // Before start(): one try, so that an unreachable Redis is reported; after: back off and keep trying.
      retryStrategy: (attempt) => (this.#started && !this.#closing ? reconnectDelay(attempt) : null),
    };
    // Commands issued in one event-loop turn (a burst of publications) go out in one write.
    const { Redis: RedisClient } = ioredis();
    this.cmd = new RedisClient(url, { ...options, enableAutoPipelining: true });
    this.sub = new RedisClient(url, options);
    for (const c of [this.cmd, this.sub]) {
      c.on('error', (err: Error) => (this.#lastError = err));
      c.on('ready', () => this.#check());
      c.on('close', () => this.#check());
    }
  }

  /** Both connections are ready. */
  get up(): boolean {
    return this.#up;
  }

  /**
   * Connect both. With `optional`, a Redis that cannot be reached now is tried again in the background.
   * @throws the connect errors (ERR_NETECHO_CONNECT_REFUSED...) naming the Redis, ERR_NETECHO_PROTOCOL when it refuses us
   */
  async start(optional: boolean): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      this.#started = true;
    } catch (err) {
      const error = this.#describe(err);
      if (!optional) {
        this.cmd.disconnect();
        this.sub.disconnect();
        throw error;
      }
      this.#started = true;
      this.#events.down(error.message);
      // Keep trying: the retry strategy only backs off once started.
      for (const c of [this.cmd, this.sub]) if (c.status === 'end' || c.status === 'close') c.connect().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [this.cmd, this.sub].map(async (c) => {
        if (c.status !== 'ready') return c.disconnect();
        await Promise.race([c.quit().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
        c.disconnect();
      }),
    );
  }

  #check(): void {
    if (this.#closing) return;
    const up = this.cmd.status === 'ready' && this.sub.status === 'ready';
    if (up === this.#up) return;
    this.#up = up;
    if (up) this.#events.up();
    else if (this.#started) this.#events.down(this.#lastError?.message ?? 'the connection closed');
  }

  #describe(err: unknown): NetechoError {
    const cause = this.#lastError ?? err;
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/WRONGPASS|NOAUTH|NOPERM|invalid password/i.test(message)) return new ProtocolError(`${this.target} refused us: ${message}`);
    return fromConnectError(cause, this.target);
  }
}
