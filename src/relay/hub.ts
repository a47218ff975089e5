/**
 * What a relay's listeners need from the relay: authorization, membership and publishing. The WebSocket and line
 * listeners (ws.ts, line.ts) speak to this interface; server.ts implements it.
 */
import type { ListenerContext } from '../transports/transport.js';
import type { Grants } from './auth.js';
import type { Who } from './broker.js';
import type { Member } from './member.js';
import type { RelaySettings } from './options.js';

export interface RelayHub {
  readonly settings: RelaySettings;
  /** "NODE": this instance, in member keys. */
  readonly nodeId: string;
  /** Whether clients must show a token. */
  readonly authRequired: boolean;
  /** The grants of `token` (everything, without an auth secret). @throws AuthRefusal */
  authorize(token: string | null): Promise<Grants>;
  /** A refused client (counted by reason, logged once). */
  refused(reason: 'auth' | 'forbidden-room' | 'invalid-room', transport: string, detail: string): void;
  /** A member is open (its connection admitted and authorized). */
  attach(member: Member): void;
  /** Its connection closed: it leaves every room. */
  detach(member: Member): void;
  /**
   * Put `member` in `room`; with `since`, first send it what it missed. Resolves with null, or why not (a limit,
   * or a room its grants do not cover).
   */
  join(member: Member, room: string, since: string | null): Promise<string | null>;
  leave(member: Member, room: string): void;
  /** A message from `member` to `room`. */
  publish(member: Member, room: string, data: Buffer, binary: boolean): void;
  /** Who is in `room`, on every instance: the first names, and how many. */
  who(room: string): Promise<Who>;
  /** `member` goes by `name` from now on. */
  rename(member: Member, name: string): void;
}

/** What a relay listener gets: the server's listener context, and the hub. */
export interface RelayContext extends ListenerContext {
  readonly hub: RelayHub;
}
