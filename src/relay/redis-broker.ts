/**
 * Rooms shared by every relay instance on one Redis. Each publication is numbered, kept (with history, in a
 * stream) and published on its room's channel by one script, so every instance sees a room's messages in the order
 * of their numbers, and each instance delivers them to its own members. Live delivery across instances is at most
 * once (Redis pub/sub); recovery from the stream fills what a client missed.
 *
 * Redis lost: local delivery goes on (numbered here meanwhile), what could not be carried is counted, and the link
 * comes back with backoff, re-subscribing its rooms and re-listing its members. Presence: each room's members on
 * every instance are in a sorted set; an instance that stops without saying so is cleaned up by the others once its
 * heartbeat is old.
 */
import { Publication, type Notice } from './envelope.js';
import { MemoryHistory, newEpoch, parseId, type Recovery } from './history.js';
import { RedisLink } from './redis-link.js';
import { NODES_KEY, PREFIX, defineScripts, nodeKey, roomKeys, type RelayScripts } from './redis-scripts.js';
import { WHO_LIMIT, type Broker, type BrokerSink, type BrokerStats, type Presence, type Who } from './broker.js';

export interface RedisBrokerOptions {
  url: string;
  optional: boolean;
  nodeId: string;
  history: number;
  historyTtlMs: number;
  historyMaxBytes: number;
  connectTimeoutMs: number;
  /** How often an instance says it is alive; it is forgotten after three missed. Default 5 s. */
  heartbeatMs?: number;
}

interface Header {
  f: string;
  s: string;
  b: 0 | 1;
  t: number;
}

const NL = 0x0a;

export class RedisBroker implements Broker {
  readonly #link: RedisLink;
  readonly #scripts: RelayScripts;
  readonly #sink: BrokerSink;
  readonly #o: RedisBrokerOptions;
  /** Numbering while Redis is down (its ids are of an epoch of this instance's own). */
  readonly #fallback: MemoryHistory;
  /** This instance's members by room (re-listed when the link comes back), and the rooms subscribed. */
  readonly #present = new Map<string, Map<string, string>>();
  readonly #subscribed = new Map<string, Promise<unknown>>();
  readonly #heartbeat: NodeJS.Timeout;
  #state: BrokerStats['state'] = 'connecting';
  #reconnects = 0;
  #undelivered = 0;
  #downSince = 0;
  #error: string | null = null;
  #undeliveredAtDown = 0;
  /** Done when what the link needs after coming up (subscriptions, presence) is made again. */
  #settled: Promise<void> = Promise.resolve();

  /** Not connected yet: start() connects. */
  constructor(sink: BrokerSink, o: RedisBrokerOptions) {
    this.#sink = sink;
    this.#o = o;
    this.#fallback = new MemoryHistory(o.history, o.historyTtlMs, o.historyMaxBytes);
    this.#link = new RedisLink(o.url, o.connectTimeoutMs, { up: () => this.#onUp(), down: (reason) => this.#onDown(reason) });
    this.#scripts = defineScripts(this.#link.cmd);
    this.#link.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#onMessage(channel, message));
    const heartbeatMs = o.heartbeatMs ?? 5000;
    this.#heartbeat = setInterval(() => void this.#beat(heartbeatMs * 3), heartbeatMs);
    this.#heartbeat.unref();
  }

  /**
   * Connect to Redis and start sharing rooms.
   * @throws the connect errors naming the Redis (unless `optional`)
   */
  async start(): Promise<void> {
    await this.#link.start(this.#o.optional);
    await this.#settled;
  }

  publish(pub: Publication): void | Promise<void> {
    if (!this.#link.up) return this.#local(pub);
    const k = roomKeys(pub.room);
    const header: Header = { f: pub.from, s: pub.sender, b: pub.binary ? 1 : 0, t: pub.ts };
    const args: [string, number, number, string, Buffer, string, string] = [newEpoch(), this.#o.history, this.#o.historyTtlMs, JSON.stringify(header), pub.data, this.#o.nodeId, k.channel];
    return this.#scripts.publish([k.numbering, k.history], args).then(
      ([epoch, seq]) => {
        pub.epoch = epoch.toString();
        pub.seq = Number(seq);
        pub.id = `${pub.epoch}:${pub.seq}`;
      },
      () => this.#local(pub),
    );
  }

  announce(notice: Notice): void {
    if (!this.#link.up || !('room' in notice) || notice.room === undefined) return;
    this.#link.cmd.publish(roomKeys(notice.room).channel, `p${this.#o.nodeId}\n${JSON.stringify(notice)}`).catch(() => {});
  }

  async recover(room: string, since: string): Promise<Recovery> {
    if (this.#o.history === 0) return { messages: [], missed: null, reason: 'this relay keeps no history' };
    const id = parseId(since);
    const k = roomKeys(room);
    const [epochBuf, seqBuf, entries] = await this.#scripts.recover([k.numbering, k.history], [id?.epoch ?? '', id?.seq ?? 0]);
    const epoch = epochBuf?.toString() ?? null;
    const last = seqBuf === null ? 0 : Number(seqBuf.toString());
    const oldest = Date.now() - this.#o.historyTtlMs;
    const messages = entries.map(([entryId, fields]) => this.#fromEntry(room, epoch ?? '', entryId, fields)).filter((p) => p.ts >= oldest);
    if (id === null || epoch === null || id.epoch !== epoch) {
      return { messages, missed: null, reason: id === null ? 'not an id this relay gave' : 'the room was renumbered since (its history expired, or Redis restarted)' };
    }
    const first = messages[0]?.seq ?? last + 1;
    const missed = Math.max(0, Math.min(first, last + 1) - id.seq - 1);
    return { messages, missed, reason: missed > 0 ? `more than the ${this.#o.history} kept, or older than the history TTL` : '' };
  }

  async joined(room: string, member: Presence): Promise<void> {
    let here = this.#present.get(room);
    if (here === undefined) this.#present.set(room, (here = new Map()));
    here.set(member.key, member.name);
    if (!this.#link.up) return;
    await Promise.all([this.#subscribe(room), this.#list(room, member)]).catch(() => {});
  }

  left(room: string, member: Presence, emptied: boolean): void {
    const here = this.#present.get(room);
    here?.delete(member.key);
    if (emptied || here?.size === 0) {
      this.#present.delete(room);
      this.#subscribed.delete(room);
      this.#fallback.forget(room);
    }
    if (!this.#link.up) return;
    const entry = `${member.name}\n${member.key}`;
    const k = roomKeys(room);
    this.#link.cmd.multi().zrem(k.who, entry).srem(nodeKey(this.#o.nodeId), `${room}\n${entry}`).exec().catch(() => {});
    if (!this.#present.has(room)) this.#link.sub.unsubscribe(k.channel).catch(() => {});
  }

  who(room: string): Promise<Who> | null {
    if (!this.#link.up) return null;
    const k = roomKeys(room);
    return this.#link.cmd
      .multi()
      .zcard(k.who)
      .zrange(k.who, 0, WHO_LIMIT - 1)
      .exec()
      .then((r) => {
        if (r === null || r[0]?.[0] || r[1]?.[0]) throw new Error('who: the transaction failed');
        const entries = r[1]?.[1] as string[];
        return { names: entries.map((e) => e.slice(0, e.indexOf('\n'))), count: Number(r[0]?.[1]) };
      });
  }

  get stats(): BrokerStats {
    return { state: this.#state, reconnects: this.#reconnects, undelivered: this.#undelivered, error: this.#error, history: this.#fallback.size };
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    if (this.#link.up) await this.#scripts.forgetNode([nodeKey(this.#o.nodeId), NODES_KEY], [this.#o.nodeId, PREFIX]).catch(() => {});
    await this.#link.close();
  }

  /** Not carried to the other instances: numbered here, delivered here, counted. */
  #local(pub: Publication): void {
    this.#fallback.append(pub);
    this.#undelivered++;
  }

  #subscribe(room: string): Promise<unknown> {
    let done = this.#subscribed.get(room);
    if (done === undefined) {
      done = this.#link.sub.subscribe(roomKeys(room).channel);
      this.#subscribed.set(room, done);
      done.catch(() => this.#subscribed.delete(room));
    }
    return done;
  }

  /** List `member` in `room` for every instance's /who (and under this instance, for cleaning up after it). */
  async #list(room: string, member: Presence): Promise<void> {
    const entry = `${member.name}\n${member.key}`;
    await this.#link.cmd.multi().zadd(roomKeys(room).who, 0, entry).sadd(nodeKey(this.#o.nodeId), `${room}\n${entry}`).exec();
  }

  #onMessage(channel: Buffer, message: Buffer): void {
    // "m" NODE \n EPOCH:SEQ \n HEADER \n DATA, or "p" NODE \n NOTICE
    const a = message.indexOf(NL);
    if (a < 0 || message.toString('latin1', 1, a) === this.#o.nodeId) return;
    try {
      if (message[0] === 0x70 /* p */) return this.#sink.notice(JSON.parse(message.toString('utf8', a + 1)) as Notice);
      const b = message.indexOf(NL, a + 1);
      const c = message.indexOf(NL, b + 1);
      const h = JSON.parse(message.toString('utf8', b + 1, c)) as Header;
      const [epoch = '', seq = '0'] = message.toString('latin1', a + 1, b).split(':');
      // The channel is netecho:{ROOM}.
      const room = channel.toString('utf8', PREFIX.length + 1, channel.length - 1);
      const pub = new Publication(room, h.f, h.s, message.subarray(c + 1), h.b === 1, h.t);
      pub.epoch = epoch;
      pub.seq = Number(seq);
      pub.id = `${epoch}:${seq}`;
      this.#sink.publication(pub);
    } catch {
      // Not ours to read: another program on this channel.
    }
  }

  #fromEntry(room: string, epoch: string, entryId: Buffer, fields: Buffer[]): Publication {
    let header: Header = { f: '', s: '', b: 0, t: 0 };
    let data: Buffer = Buffer.alloc(0);
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]?.toString();
      if (name === 'h') header = JSON.parse((fields[i + 1] as Buffer).toString('utf8')) as Header;
      else if (name === 'd') data = fields[i + 1] as Buffer;
    }
    const pub = new Publication(room, header.f, header.s, data, header.b === 1, header.t);
    pub.epoch = epoch;
    pub.seq = Number(entryId.toString().split('-')[0]);
    pub.id = `${epoch}:${pub.seq}`;
    return pub;
  }

  #onUp(): void {
    // Subscriptions and presence do not survive the connection (nor a Redis restart): make them again, then say so.
    this.#subscribed.clear();
    const again: Array<Promise<unknown>> = [this.#beat((this.#o.heartbeatMs ?? 5000) * 3)];
    for (const [room, members] of this.#present) {
      again.push(this.#subscribe(room));
      for (const [key, name] of members) again.push(this.#list(room, { key, name }));
    }
    this.#settled = Promise.all(again)
      .catch(() => {})
      .then(() => {
        if (!this.#link.up) return;
        const was = this.#state;
        this.#state = 'ready';
        this.#error = null;
        if (was !== 'down') return;
        this.#reconnects++;
        const seconds = ((Date.now() - this.#downSince) / 1000).toFixed(1);
        this.#sink.brokerState('ready', `${this.#link.target} back after ${seconds} s; ${this.#undelivered - this.#undeliveredAtDown} message(s) were not carried to other instances meanwhile`);
      });
  }

  #onDown(reason: string): void {
    if (this.#state === 'down') return;
    const first = this.#state === 'connecting';
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#undeliveredAtDown = this.#undelivered;
    this.#error = first
      ? `${reason}: starting without it (rooms here work; shared once it can be reached)`
      : `${this.#link.target} lost (${reason}): rooms here keep working; messages are not carried to other instances until it is back`;
    this.#sink.brokerState('down', this.#error);
  }

  /** Say this instance is alive; forget the instances that stopped saying so. */
  async #beat(ttlMs: number): Promise<void> {
    if (!this.#link.up) return;
    try {
      const dead = await this.#scripts.heartbeat([NODES_KEY], [this.#o.nodeId, ttlMs]);
      for (const node of dead) {
        const id = node.toString();
        if (id !== this.#o.nodeId) await this.#scripts.forgetNode([nodeKey(id), NODES_KEY], [id, PREFIX]);
      }
    } catch {
      // The link is down: the next beat after it is back.
    }
  }
}
