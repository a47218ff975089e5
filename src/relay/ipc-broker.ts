/**
 * A worker's broker under `relay --workers N` without Redis: the primary (ipc-hub.ts) numbers, keeps and carries
 * each message to the other workers, so rooms span the workers as they span instances over Redis.
 */
import { Publication, type Notice } from './envelope.js';
import type { Recovery } from './history.js';
import type { ToPrimary, ToRelayWorker, WirePublication } from './ipc-protocol.js';
import type { Broker, BrokerSink, BrokerStats, Presence, Who } from './broker.js';

export function toWire(pub: Publication): WirePublication {
  return { room: pub.room, from: pub.from, sender: pub.sender, binary: pub.binary, ts: pub.ts, data: pub.data, epoch: pub.epoch, seq: pub.seq };
}

export function fromWire(w: WirePublication): Publication {
  const data = Buffer.isBuffer(w.data) ? w.data : Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength);
  const pub = new Publication(w.room, w.from, w.sender, data, w.binary, w.ts);
  pub.epoch = w.epoch ?? '';
  pub.seq = w.seq ?? 0;
  pub.id = `${pub.epoch}:${pub.seq}`;
  return pub;
}

type Reply = Extract<ToRelayWorker, { id: number }>;

export class IpcBroker implements Broker {
  readonly #sink: BrokerSink;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #onMessage: (m: Partial<ToRelayWorker> | null) => void;
  #next = 1;

  constructor(sink: BrokerSink) {
    if (process.send === undefined) throw new Error('IpcBroker: not a worker process (no IPC channel)');
    this.#sink = sink;
    this.#onMessage = (m) => {
      if (m === null || typeof m !== 'object' || m.relay === undefined) return;
      const msg = m as ToRelayWorker;
      if (msg.relay === 'pub') return this.#sink.publication(fromWire(msg.pub));
      if (msg.relay === 'notice') return this.#sink.notice(msg.notice);
      const done = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      done?.(msg);
    };
    process.on('message', this.#onMessage);
  }

  publish(pub: Publication): Promise<void> {
    return this.#ask({ relay: 'pub', id: 0, pub: toWire(pub) }).then((r) => {
      if (r.relay !== 'numbered') return;
      pub.epoch = r.epoch;
      pub.seq = r.seq;
      pub.id = `${r.epoch}:${r.seq}`;
    });
  }

  announce(notice: Notice): void {
    this.#send({ relay: 'notice', notice });
  }

  async recover(room: string, since: string): Promise<Recovery> {
    const r = await this.#ask({ relay: 'recover', id: 0, room, since });
    if (r.relay !== 'recovered') throw new Error('unexpected reply');
    return { messages: r.messages.map(fromWire), missed: r.missed, reason: r.reason };
  }

  async joined(room: string, member: Presence): Promise<void> {
    await this.#ask({ relay: 'join', id: 0, room, key: member.key, name: member.name });
  }

  left(room: string, member: Presence): void {
    this.#send({ relay: 'leave', room, key: member.key });
  }

  async who(room: string): Promise<Who> {
    const r = await this.#ask({ relay: 'who', id: 0, room });
    if (r.relay !== 'who') throw new Error('unexpected reply');
    return { names: r.names, count: r.count };
  }

  get stats(): BrokerStats {
    return { state: process.connected ? 'ready' : 'down', reconnects: 0, undelivered: 0, error: null, history: { messages: 0, bytes: 0 } };
  }

  close(): Promise<void> {
    process.removeListener('message', this.#onMessage);
    for (const done of this.#pending.values()) done({ relay: 'joined', id: 0 });
    this.#pending.clear();
    return Promise.resolve();
  }

  #send(m: ToPrimary): void {
    if (process.connected) process.send?.(m);
  }

  /** A request and its reply; the primary gone, what it would have said is nothing (delivered here only). */
  #ask(m: ToPrimary & { id: number }): Promise<Reply> {
    if (!process.connected) return Promise.resolve({ relay: 'joined', id: 0 });
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      process.send?.({ ...m, id });
    });
  }
}
