/**
 * One connection's membership of a relay: its name, its rooms, what format it reads, its publishing rate, and the
 * slow-consumer policy. Delivery never waits on a member: when its outgoing queue is at the cap it is closed, or
 * (policy "drop") messages for it are dropped and counted, and a gap notice precedes the next one it gets.
 * WebSocket and line (TCP/TLS) members write differently; everything else is here.
 */
import { TokenBucket } from '../limits/token-bucket.js';
import type { CloseReason } from '../transports/transport.js';
import type { Grants } from './auth.js';
import type { Notice, Publication } from './envelope.js';
import type { SlowConsumerPolicy } from './options.js';

/** raw: messages exactly as sent; json: envelopes with sender and id, and notices; chat: "[room] name: text" lines. */
export type MemberFormat = 'raw' | 'json' | 'chat';

export type DeliveryOutcome = 'delivered' | 'skipped' | 'dropped' | 'closed';

export abstract class Member {
  /** "NODE/ID": unique across instances. */
  readonly key: string;
  readonly id: number;
  readonly transport: string;
  name: string;
  readonly rooms = new Set<string>();
  format: MemberFormat;
  readonly echoSelf: boolean;
  readonly grants: Grants;
  readonly bucket: TokenBucket;
  closed = false;
  /** Messages dropped for this member since its last delivery, by room (policy "drop"). */
  readonly #missed = new Map<string, number>();
  /** Live messages held while its history is read (recovery from a broker that answers later). */
  #held: Publication[] | null = null;

  constructor(init: { key: string; id: number; transport: string; name: string; format: MemberFormat; echoSelf: boolean; grants: Grants; rate: number }) {
    this.key = init.key;
    this.id = init.id;
    this.transport = init.transport;
    this.name = init.name;
    this.format = init.format;
    this.echoSelf = init.echoSelf;
    this.grants = init.grants;
    this.bucket = new TokenBucket(init.rate, init.rate);
  }

  /** Bytes waiting to be written to this member. */
  abstract queued(): number;

  /** Write a publication in this member's format. */
  protected abstract write(pub: Publication): void;

  /** Write a notice (members that read raw messages get none). */
  protected abstract writeNotice(notice: Notice): void;

  /** Close the connection with `reason`, telling the client why (a close code, or an error line). */
  abstract kick(reason: CloseReason, message: string): void;

  /**
   * One publication for this member. Never waits: at the queue cap the member is closed (policy "close") or the
   * message is dropped for it (policy "drop").
   */
  deliver(pub: Publication, policy: SlowConsumerPolicy, maxQueued: number): DeliveryOutcome {
    if (this.closed || (pub.sender === this.key && !this.echoSelf)) return 'skipped';
    if (this.#held !== null) {
      this.#held.push(pub);
      return 'delivered';
    }
    if (this.queued() >= maxQueued) {
      if (policy === 'close') {
        this.kick('slow-consumer', `too slow: ${maxQueued} bytes were waiting for you`);
        return 'closed';
      }
      this.#missed.set(pub.room, (this.#missed.get(pub.room) ?? 0) + 1);
      return 'dropped';
    }
    if (this.#missed.size > 0) this.#caughtUp();
    this.write(pub);
    return 'delivered';
  }

  /** Hold live messages until replay(): the history is being read. */
  hold(): void {
    this.#held ??= [];
  }

  /**
   * Recovery: the gap notice (when some could not be recovered), the messages it missed, then the live ones held
   * meanwhile that the history did not already have: no duplicate and no gap at the seam.
   */
  replay(messages: readonly Publication[], gap: Notice | null): void {
    const held = this.#held ?? [];
    this.#held = null;
    if (this.closed) return;
    if (gap !== null) this.writeNotice(gap);
    for (const p of messages) this.write(p);
    const seen = new Set(messages.map((p) => p.id));
    for (const p of held) if (!seen.has(p.id)) this.write(p);
  }

  /** A notice for this member alone (presence, errors, the members list, a gap). */
  notify(notice: Notice): void {
    if (!this.closed) this.writeNotice(notice);
  }

  /** It is reading again: say what it missed, room by room, before what comes next. */
  #caughtUp(): void {
    for (const [room, missed] of this.#missed) this.writeNotice({ type: 'gap', room, missed, reason: 'too slow to keep up: dropped for you', ts: Date.now() });
    this.#missed.clear();
  }
}
