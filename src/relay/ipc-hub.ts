/**
 * The primary's side of `relay --workers N` without Redis: it numbers each publication, keeps the history, knows
 * who is in each room on every worker, and carries messages and presence to the workers that have the room. A
 * worker that dies leaves every room.
 */
import cluster, { type Worker } from 'node:cluster';
import { WHO_LIMIT } from './broker.js';
import { MemoryHistory } from './history.js';
import { fromWire, toWire } from './ipc-broker.js';
import type { ToPrimary, ToRelayWorker } from './ipc-protocol.js';
import type { RelaySettings } from './options.js';

export class RelayPrimaryHub {
  readonly #history: MemoryHistory;
  /** room -> worker id -> member key -> name */
  readonly #rooms = new Map<string, Map<number, Map<string, string>>>();
  readonly #onMessage: (worker: Worker, m: Partial<ToPrimary> | null) => void;
  readonly #onExit: (worker: Worker) => void;

  constructor(settings: Pick<RelaySettings, 'history' | 'historyTtlMs' | 'historyMaxBytes'>) {
    this.#history = new MemoryHistory(settings.history, settings.historyTtlMs, settings.historyMaxBytes);
    this.#onMessage = (worker, m) => {
      if (m !== null && typeof m === 'object' && typeof m.relay === 'string') this.#handle(worker, m as ToPrimary);
    };
    this.#onExit = (worker) => {
      for (const [room, workers] of this.#rooms) if (workers.delete(worker.id) && workers.size === 0) this.#empty(room);
    };
    cluster.on('message', this.#onMessage);
    cluster.on('exit', this.#onExit);
  }

  close(): void {
    cluster.removeListener('message', this.#onMessage);
    cluster.removeListener('exit', this.#onExit);
  }

  #handle(worker: Worker, m: ToPrimary): void {
    switch (m.relay) {
      case 'pub': {
        const pub = fromWire(m.pub);
        this.#history.append(pub);
        send(worker, { relay: 'numbered', id: m.id, epoch: pub.epoch, seq: pub.seq });
        const wire = toWire(pub);
        for (const other of this.#others(pub.room, worker)) send(other, { relay: 'pub', pub: wire });
        return;
      }
      case 'notice':
        if ('room' in m.notice && m.notice.room !== undefined) for (const other of this.#others(m.notice.room, worker)) send(other, m);
        return;
      case 'join': {
        let workers = this.#rooms.get(m.room);
        if (workers === undefined) this.#rooms.set(m.room, (workers = new Map()));
        let members = workers.get(worker.id);
        if (members === undefined) workers.set(worker.id, (members = new Map()));
        members.set(m.key, m.name);
        return send(worker, { relay: 'joined', id: m.id });
      }
      case 'leave': {
        const workers = this.#rooms.get(m.room);
        const members = workers?.get(worker.id);
        if (workers === undefined || members === undefined) return;
        members.delete(m.key);
        if (members.size === 0) workers.delete(worker.id);
        if (workers.size === 0) this.#empty(m.room);
        return;
      }
      case 'who': {
        const names: string[] = [];
        for (const members of this.#rooms.get(m.room)?.values() ?? []) names.push(...members.values());
        names.sort();
        return send(worker, { relay: 'who', id: m.id, names: names.slice(0, WHO_LIMIT), count: names.length });
      }
      case 'recover': {
        const r = this.#history.recover(m.room, m.since);
        return send(worker, { relay: 'recovered', id: m.id, messages: r.messages.map(toWire), missed: r.missed, reason: r.reason });
      }
    }
  }

  /** The workers other than `from` that have members in `room`. */
  *#others(room: string, from: Worker): Generator<Worker> {
    for (const id of this.#rooms.get(room)?.keys() ?? []) {
      const w = cluster.workers?.[id];
      if (w !== undefined && w !== from) yield w;
    }
  }

  #empty(room: string): void {
    this.#rooms.delete(room);
    this.#history.forget(room);
  }
}

function send(worker: Worker, m: ToRelayWorker): void {
  if (worker.isConnected()) worker.send(m);
}
