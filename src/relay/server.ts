/**
 * The relay: every message a client sends to a room reaches every other member of the room, on this instance and,
 * through the broker, on every other instance sharing it. Delivery here is a loop over the room's members that
 * never waits on one of them (member.ts applies the slow-consumer policy); the broker carries each message once per
 * instance. Connection limits, admission and the drain are the server core's.
 */
import { randomBytes } from 'node:crypto';
import { ServerCore, type CoreEvents, type CoreStats } from '../server/core.js';
import type { TlsMaterial } from '../transports/tls-material.js';
import type { ServerLimits, TransportSettings } from '../transports/settings.js';
import { AuthRefusal, OPEN, roomAllowed, secretKey, verifyToken, type Grants } from './auth.js';
import { WHO_LIMIT, type Broker, type BrokerSink, type BrokerStats, type Recovery, type Who } from './broker.js';
import { Publication, type Notice } from './envelope.js';
import type { RelayContext, RelayHub } from './hub.js';
import type { Member } from './member.js';
import type { RelaySettings } from './options.js';
import { Rooms, type JoinRefusal } from './rooms.js';

/** Why a message was not delivered to someone, or not published at all. */
export type RelayDropReason = 'rate-limited' | 'read-only' | 'not-in-room' | 'slow-consumer';

/** Why a client or a join was refused. */
export type RelayRefusal = JoinRefusal | 'auth' | 'forbidden-room' | 'invalid-room';

export interface RelayEvents extends CoreEvents {
  /** A member joined a room (here), and other instances deliver the room to it. */
  join: [info: { id: number; name: string; room: string }];
  /** A member left a room (here). */
  leave: [info: { id: number; name: string; room: string }];
  /** A client or a join was refused, with the reason. */
  denied: [info: { reason: RelayRefusal; transport: string; detail: string }];
  /** The link to the other instances (Redis) went down, or came back. */
  broker: [info: { state: 'ready' | 'down'; detail: string }];
}

export interface RelayStats extends CoreStats {
  /** Rooms with members here, and memberships in all. */
  rooms: number;
  members: number;
  messages: {
    /** Messages clients sent. */
    received: number;
    /** Messages published to a room from here (numbered, carried to other instances). */
    published: number;
    /** Messages published on other instances, delivered here. */
    remote: number;
    /** Deliveries to members here (one message to 100 members is 100). */
    delivered: number;
    dropped: Record<RelayDropReason, number>;
  };
  denied: Record<RelayRefusal, number>;
  broker: BrokerStats;
}

/** The listeners' context; not exported from the package. */
export const kRelayContext = Symbol('netecho.relay.context');

/** Error notices about publishing go out at most this often per member (a flood must not become a flood back). */
const NOTICE_INTERVAL_MS = 1000;

export class RelayServer extends ServerCore<RelayEvents> implements RelayHub, BrokerSink {
  readonly settings: RelaySettings;
  readonly nodeId = randomBytes(6).toString('hex');
  readonly #rooms: Rooms;
  readonly #broker: Broker;
  readonly #key: Uint8Array | null;
  readonly #members = new Set<Member>();
  /** A member's publications still waiting for the broker, so that its messages go out in order. */
  readonly #inFlight = new WeakMap<Member, Promise<void>>();
  readonly #lastNotice = new WeakMap<Member, number>();
  readonly #messages: RelayStats['messages'] = {
    received: 0,
    published: 0,
    remote: 0,
    delivered: 0,
    dropped: { 'rate-limited': 0, 'read-only': 0, 'not-in-room': 0, 'slow-consumer': 0 },
  };
  /** What its listeners get. */
  readonly [kRelayContext]: RelayContext;
  readonly #denied: Record<RelayRefusal, number> = {
    'max-rooms': 0,
    'max-members-per-room': 0,
    'max-rooms-per-connection': 0,
    auth: 0,
    'forbidden-room': 0,
    'invalid-room': 0,
  };

  constructor(limits: ServerLimits, settings: TransportSettings, tls: TlsMaterial | null, relay: RelaySettings, broker: (sink: BrokerSink) => Broker) {
    super(limits, settings, tls);
    this.settings = relay;
    this.#rooms = new Rooms(relay);
    this.#key = relay.authSecret === null ? null : secretKey(relay.authSecret);
    this.#broker = broker(this);
    this[kRelayContext] = { ...this.listenerContext, hub: this };
    this.once('closed', () => void this.#broker.close());
    // The dashboard: the stats, and the busiest rooms here.
    this.servePage({ kind: 'relay', snapshot: () => ({ addresses: this.addresses, stats: this.stats, rooms: this.rooms.slice(0, 10) }) });
  }

  /** A drain tells members at once (1001, or a last line): they can reconnect elsewhere and recover with ?since=. */
  protected override get finishesAtOnce(): boolean {
    return true;
  }

  get authRequired(): boolean {
    return this.#key !== null;
  }

  /** The busiest rooms here: name and members, most first (at most 100). */
  get rooms(): Array<{ room: string; members: number }> {
    return this.#rooms.busiest(100);
  }

  /** Counters since start: a snapshot. */
  get stats(): RelayStats {
    // coreSnapshot() is a copy already: clone only the relay's own counters.
    return {
      ...this.coreSnapshot(),
      ...structuredClone({ rooms: this.#rooms.count, members: this.#rooms.memberships, messages: this.#messages, denied: this.#denied, broker: this.#broker.stats }),
    };
  }

  authorize(token: string | null): Promise<Grants> {
    return this.#key === null ? Promise.resolve(OPEN) : verifyToken(this.#key, token);
  }

  refused(reason: 'auth' | 'forbidden-room' | 'invalid-room', transport: string, detail: string): void {
    this.#denied[reason]++;
    if (this.listenerCount('denied') > 0) this.emit('denied', { reason, transport, detail });
  }

  attach(member: Member): void {
    this.#members.add(member);
  }

  detach(member: Member): void {
    member.closed = true;
    this.#members.delete(member);
    for (const room of [...member.rooms]) this.leave(member, room);
  }

  async join(member: Member, room: string, since: string | null): Promise<string | null> {
    if (!roomAllowed(member.grants, room)) {
      this.refused('forbidden-room', member.transport, room);
      return `your token does not let you into ${room}`;
    }
    // Recovering: live messages wait until the history is sent, so that none comes twice and none is lost.
    if (since !== null) member.hold();
    const refusal = this.#rooms.join(member, room);
    if (refusal !== null) {
      if (since !== null) member.replay([], null);
      this.#denied[refusal]++;
      if (this.listenerCount('denied') > 0) this.emit('denied', { reason: refusal, transport: member.transport, detail: room });
      return refusal === 'max-rooms-per-connection' ? `you are in ${this.settings.maxRoomsPerConnection} rooms already (leave one first)` : `${room} is full, or there are too many rooms (${refusal})`;
    }
    this.#presence(room, { type: 'join', room, from: member.name, ts: Date.now() }, member);
    // Once the other instances deliver the room here and list the member, it is in: the join event, and it hears who is in.
    await this.#broker.joined(room, member);
    if (this.listenerCount('join') > 0) this.emit('join', { id: member.id, name: member.name, room });
    const who = await this.who(room);
    member.notify({ type: 'members', room, members: who.names, count: who.count, ts: Date.now() });
    if (since !== null) await this.#recover(member, room, since);
    return null;
  }

  leave(member: Member, room: string): void {
    if (!member.rooms.has(room)) return;
    const emptied = this.#rooms.leave(member, room);
    if (this.listenerCount('leave') > 0) this.emit('leave', { id: member.id, name: member.name, room });
    this.#presence(room, { type: 'leave', room, from: member.name, ts: Date.now() }, member);
    this.#broker.left(room, member, emptied);
  }

  /** `member` goes by `name` from now on (/nick): presence follows. */
  rename(member: Member, name: string): void {
    for (const room of member.rooms) this.#broker.left(room, member, false);
    member.name = name;
    for (const room of member.rooms) void this.#broker.joined(room, member);
  }

  publish(member: Member, room: string, data: Buffer, binary: boolean): void {
    this.#messages.received++;
    const refusal = !member.rooms.has(room) ? 'not-in-room' : !member.grants.publish ? 'read-only' : !member.bucket.take() ? 'rate-limited' : null;
    if (refusal !== null) {
      this.#messages.dropped[refusal]++;
      this.#tell(member, room, refusal);
      return;
    }
    const pub = new Publication(room, member.name, member.key, data, binary);
    this.#messages.published++;
    const before = this.#inFlight.get(member);
    const numbered = this.#broker.publish(pub);
    if (numbered === undefined && before === undefined) {
      this.#fanout(pub);
      return;
    }
    // Wait for the broker's number (and for this member's earlier messages): each member's messages stay in order.
    const done = Promise.all([before, numbered]).then(
      () => this.#fanout(pub),
      () => this.#fanout(pub),
    );
    this.#inFlight.set(member, done);
    void done.then(() => {
      if (this.#inFlight.get(member) === done) this.#inFlight.delete(member);
    });
  }

  async who(room: string): Promise<Who> {
    const everywhere = this.#broker.who(room);
    if (everywhere !== null) {
      try {
        return await everywhere;
      } catch {
        // The link is down: who is here is what is known.
      }
    }
    const names = this.#rooms.names(room).sort();
    return { names: names.slice(0, WHO_LIMIT), count: names.length };
  }

  /** From another instance: deliver to the members here. */
  publication(pub: Publication): void {
    this.#messages.remote++;
    this.#fanout(pub);
  }

  /** The link to the other instances went down or came back. */
  brokerState(state: 'ready' | 'down', detail: string): void {
    if (this.listenerCount('broker') > 0) this.emit('broker', { state, detail });
  }

  /** Presence from another instance. */
  notice(notice: Notice): void {
    const members = 'room' in notice && notice.room !== undefined ? this.#rooms.members(notice.room) : undefined;
    for (const m of members ?? []) m.notify(notice);
  }

  #fanout(pub: Publication): void {
    const members = this.#rooms.members(pub.room);
    if (members === undefined) return;
    const { slowConsumer, maxQueuedBytes } = this.settings;
    const m = this.#messages;
    for (const member of members) {
      const outcome = member.deliver(pub, slowConsumer, maxQueuedBytes);
      if (outcome === 'delivered') m.delivered++;
      else if (outcome === 'dropped' || outcome === 'closed') m.dropped['slow-consumer']++;
    }
  }

  /** Presence to the room's other members here and to the other instances. */
  #presence(room: string, notice: Notice, subject: Member): void {
    for (const m of this.#rooms.members(room) ?? []) if (m !== subject) m.notify(notice);
    this.#broker.announce(notice);
  }

  /**
   * Send `member` (holding live messages since before it joined) what it missed in `room` since `since`: a gap
   * notice when some is lost, the messages, then the live ones held meanwhile that the history did not have.
   */
  async #recover(member: Member, room: string, since: string): Promise<void> {
    let found: Recovery;
    try {
      found = await this.#broker.recover(room, since);
    } catch {
      found = { messages: [], missed: null, reason: 'the history could not be read' };
    }
    member.replay(found.messages, found.missed === 0 ? null : { type: 'gap', room, missed: found.missed, reason: found.reason, ts: Date.now() });
  }

  /** Tell a member (once a second at most) why its message went nowhere. */
  #tell(member: Member, room: string, refusal: 'not-in-room' | 'read-only' | 'rate-limited'): void {
    const now = Date.now();
    if (now - (this.#lastNotice.get(member) ?? 0) < NOTICE_INTERVAL_MS) return;
    this.#lastNotice.set(member, now);
    const error =
      refusal === 'rate-limited'
        ? `rate limit: at most ${this.settings.ratePerSecond} messages a second (the excess is dropped)`
        : refusal === 'read-only'
          ? `your token lets you read ${room}, not publish to it`
          : `you are not in ${room}`;
    member.notify({ type: 'error', error, room, ts: now });
  }
}

export { AuthRefusal };
