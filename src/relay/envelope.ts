/**
 * What travels through a relay: a Publication (one message in one room, with its id, sender and time) and the
 * notices around it (join, leave, gap, members, error). Each publication is encoded once per format and the
 * encoding shared by every member it goes to (for WebSocket members, the whole frame): that is where fan-out spends its
 * time.
 */
import { frameWebSocketMessage } from '../transports/websocket-frame.js';

/** A message published to a room. */
export class Publication {
  /** Set by the broker: "EPOCH:SEQ", comparable within an epoch; usable with ?since= for recovery. */
  id = '';
  seq = 0;
  epoch = '';
  #json: string | null = null;
  #line: Buffer | null = null;
  #chat: Buffer | null = null;
  #frames: Partial<Record<'raw' | 'json' | 'chat', Buffer>> = {};

  constructor(
    readonly room: string,
    /** The sender's name, set by the relay (from its token or /nick), never from the message. */
    readonly from: string,
    /** Which connection sent it ("NODE/ID"): it does not get its own message back unless it asked. */
    readonly sender: string,
    readonly data: Buffer,
    /** A WebSocket binary message (else text: a TCP line, a text message). */
    readonly binary: boolean,
    readonly ts = Date.now(),
  ) {}

  /** The JSON envelope: { type: "message", room, from, id, ts, data } (binary data in base64, with encoding). */
  json(): string {
    this.#json ??= JSON.stringify({
      type: 'message',
      room: this.room,
      from: this.from,
      id: this.id,
      ts: this.ts,
      data: this.binary ? this.data.toString('base64') : this.data.toString('utf8'),
      ...(this.binary && { encoding: 'base64' }),
    });
    return this.#json;
  }

  /** For a line client: the message as it was sent, then a newline. */
  line(): Buffer {
    this.#line ??= Buffer.concat([this.data, NEWLINE]);
    return this.#line;
  }

  /** For a line client in chat format: "[room] from: text". */
  chatLine(): Buffer {
    this.#chat ??= Buffer.from(`[${this.room}] ${this.from}: ${this.binary ? `(${this.data.length} bytes of binary)` : this.data.toString('utf8')}\n`);
    return this.#chat;
  }

  /** The WebSocket frame for a member reading `format` (raw: as sent, text or binary; json: the envelope; chat: the line). */
  frame(format: 'raw' | 'json' | 'chat'): Buffer {
    let f = this.#frames[format];
    if (f === undefined) {
      if (format === 'raw') f = frameWebSocketMessage(this.data, this.binary);
      else if (format === 'json') f = frameWebSocketMessage(Buffer.from(this.json()), false);
      else f = frameWebSocketMessage(this.chatLine().subarray(0, -1), false);
      this.#frames[format] = f;
    }
    return f;
  }

  /** Bytes it holds (for the history's memory cap). */
  get size(): number {
    return this.data.length + this.room.length + this.from.length + 64;
  }
}

const NEWLINE = Buffer.from('\n');

/** Notices to one member, or to a room: presence, a gap in what it got, the members present, an error. */
export type Notice =
  | { type: 'join' | 'leave'; room: string; from: string; ts: number }
  | { type: 'gap'; room: string; missed: number | null; reason: string; ts: number }
  /** The first names (at most 100), and how many members there are in all. */
  | { type: 'members'; room: string; members: string[]; count: number; ts: number }
  | { type: 'error'; error: string; room?: string; ts: number };

/** A notice as a chat line: "* alice joined lobby". */
export function noticeLine(n: Notice): string {
  switch (n.type) {
    case 'join':
      return `* ${n.from} joined ${n.room}`;
    case 'leave':
      return `* ${n.from} left ${n.room}`;
    case 'gap':
      return `* ${n.missed === null ? 'some' : n.missed} message(s) in ${n.room} could not be delivered (${n.reason})`;
    case 'members':
      return `* in ${n.room}: ${n.members.join(', ') || 'nobody'}${n.count > n.members.length ? ` and ${n.count - n.members.length} more` : ''}`;
    case 'error':
      return `! ${n.error}`;
  }
}
