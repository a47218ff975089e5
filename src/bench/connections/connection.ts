/**
 * One bench connection: its link, its payload, and how it ends. The kinds of traffic (request/response echo,
 * a continuous stream, UDP datagrams) are subclasses; each reports what happens to the run's Recorder.
 */
import type { Link } from '../links/link.js';
import { isReset, type FailKind, type Recorder } from '../recorder.js';

export abstract class Connection {
  readonly rec: Recorder;
  readonly link: Link;
  /** The bytes sent, each time: random, so an echo from another connection or message cannot pass. */
  readonly payload: Buffer;
  alive = true;
  /** True once any echo byte came back: a reset before that is the server refusing the connection. */
  echoed = false;

  constructor(rec: Recorder, link: Link, payload: Buffer) {
    this.rec = rec;
    this.link = link;
    this.payload = payload;
    link.on('end', () => this.onEnd());
    link.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code === 'ETIMEDOUT' ? 'timeouts' : err.code === 'ERR_NETECHO_PROTOCOL' ? 'mismatches' : this.echoed || !isReset(err) ? 'resets' : 'resetAtOpen'));
  }

  /** Messages sent and not yet echoed whole (or bytes of one under way): an end now is a short read. */
  abstract get owed(): boolean;

  /** Start the load on this connection at `now`: `depth` messages (closed loop, pipeline), or a stream. */
  abstract start(now: number, depth: number): void;

  /** Send one message, sent (or scheduled) at `at`. */
  abstract send(at: number): void;

  /** HTTP: a reply that was not 2xx. Only request/response echo has messages to answer; elsewhere it is wrong. */
  onStatus(_status: number): void {
    this.fail('mismatches');
  }

  /** Called every few milliseconds: messages sent before `before` and not echoed are late. */
  abstract expire(before: number, now: number): void;

  /** Echo bytes arrived: counted; false when the connection is already done (they are ignored). */
  protected received(len: number): boolean {
    if (!this.alive) return false;
    this.echoed = true;
    this.rec.echoed(len);
    return true;
  }

  onEnd(): void {
    if (!this.alive) return;
    if (this.rec.running) this.fail(this.owed ? 'shortReads' : 'closed');
    else this.alive = false;
  }

  fail(kind: FailKind): void {
    if (!this.alive) return;
    this.alive = false;
    this.rec.failed(kind);
    this.link.destroy();
  }
}
