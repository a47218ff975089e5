/** UDP links: the client's connected UDP socket, each write one datagram stamped with a sequence number. */
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { openUdp } from '../../client/udp.js';
import type { Link, LinkOptions, OnDatagram } from './link.js';

/**
 * UDP as a Link: each write is one datagram whose first 4 bytes carry the connection's sequence number (the
 * rest is its payload), so the engine can match each echo to its send time, and tell loss and reordering apart.
 */
export class UdpLink extends EventEmitter implements Link {
  readonly #socket: dgram.Socket;
  #seq = 0;
  #closed = false;

  constructor(socket: dgram.Socket, onDatagram: OnDatagram) {
    super();
    this.#socket = socket;
    socket.on('message', (msg: Buffer) => onDatagram(msg, msg.length >= 4 ? msg.readUInt32BE(0) : -1));
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => {
      this.#closed = true;
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  /** Sends `data` with the next sequence number in its first 4 bytes (on a copy). */
  write(data: Buffer): boolean {
    const datagram = Buffer.from(data);
    datagram.writeUInt32BE(this.#seq++ >>> 0, 0);
    this.#socket.send(datagram);
    return true;
  }

  cork(): void {}
  uncork(): void {}
  resume(): void {}

  end(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

export async function dialUdpLink(o: LinkOptions): Promise<Link> {
  return new UdpLink(await openUdp(o.endpoint), o.onDatagram);
}
