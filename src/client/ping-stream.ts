/**
 * ping() over one stream connection (tcp, tls, ws, wss): one message per interval, each round trip timed. A reply
 * that does not come back within the timeout counts as lost; its bytes arriving later are not a reply.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { ConnectionClosedError, fromConnectError, type NetechoError } from '../errors.js';
import { RttRecorder, pingSummary, type PingSettings, type PingSummary } from './ping-summary.js';
import { closeGracefully } from './send.js';

interface Pending {
  seq: number;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  lost: boolean;
  match: boolean;
}

/** One run: sends on a timer, matches echo bytes to messages in order, resolves when all are answered or lost. */
class StreamPing {
  readonly #s: PingSettings;
  readonly #socket: Duplex;
  readonly #target: string;
  readonly #start = performance.now();
  readonly #rtt = new RttRecorder();
  /** In send order; index 0 is the oldest unanswered. */
  readonly #pending: Pending[] = [];
  #sent = 0;
  #lost = 0;
  #mismatches = 0;
  /** Echo bytes seen so far. */
  #bytesIn = 0;
  #sendTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  #error: NetechoError | null = null;
  #resolve: () => void = () => {};
  readonly #onAbort = (): void => this.#abort();

  constructor(socket: Duplex, target: string, settings: PingSettings) {
    this.#socket = socket;
    this.#target = target;
    this.#s = settings;
  }

  run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.#resolve = resolve));
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#error ??= fromConnectError(err, this.#target);
      this.#finish();
    });
    socket.on('end', () => {
      if (this.#pending.length > 0 || (!this.#stopped && this.#sent < this.#s.count)) {
        this.#error ??= new ConnectionClosedError(`${this.#target} closed the connection after ${this.#rtt.count} replies`);
      }
      this.#finish();
    });
    this.#s.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (this.#s.signal?.aborted) this.#abort();
    else this.#sendOne();
    return done;
  }

  summary(connectMs: number): PingSummary {
    const rtt = this.#rtt;
    return pingSummary({
      url: this.#target,
      sent: this.#sent,
      received: rtt.count,
      lost: this.#lost,
      mismatches: this.#mismatches,
      connectMs,
      elapsedMs: performance.now() - this.#start,
      rtt: rtt.stats(),
      error: this.#error,
    });
  }

  #sendOne(): void {
    const s = this.#s;
    this.#sendTimer = null;
    if (this.#stopped || this.#sent >= s.count) return;
    const p: Pending = { seq: ++this.#sent, sentAt: performance.now(), timer: null, lost: false, match: true };
    if (s.timeoutMs > 0) p.timer = setTimeout(() => this.#timedOut(p), s.timeoutMs);
    this.#pending.push(p);
    this.#socket.write(s.text ?? s.payload);
    if (this.#sent < s.count) {
      this.#sendTimer = setTimeout(() => this.#sendOne(), Math.max(0, this.#start + this.#sent * s.intervalMs - performance.now()));
    }
  }

  #timedOut(p: Pending): void {
    p.timer = null;
    p.lost = true;
    this.#lost++;
    this.#s.onReply?.({ seq: p.seq, bytes: this.#s.payload.length, rttMs: null, match: true });
    this.#maybeDone();
  }

  #onData(chunk: Buffer): void {
    const { payload, verify } = this.#s;
    const L = payload.length;
    const now = performance.now();
    for (let i = 0; i < chunk.length; ) {
      const p = this.#pending[0];
      if (p === undefined) return; // more than was sent: nothing to match it against
      const at = this.#bytesIn % L;
      const n = Math.min(L - at, chunk.length - i);
      if (verify && !payload.subarray(at, at + n).equals(chunk.subarray(i, i + n))) p.match = false;
      this.#bytesIn += n;
      i += n;
      if (this.#bytesIn % L !== 0) continue;
      this.#pending.shift();
      if (p.timer !== null) clearTimeout(p.timer);
      if (p.lost) continue; // a late reply: already counted as lost
      const rtt = now - p.sentAt;
      this.#rtt.add(rtt);
      if (!p.match) this.#mismatches++;
      this.#s.onReply?.({ seq: p.seq, bytes: L, rttMs: rtt, match: p.match });
    }
    this.#maybeDone();
  }

  /** Stop sending; replies already in flight get their timeout to arrive, as ping(8) waits for the last one. */
  #abort(): void {
    this.#stopped = true;
    if (this.#sendTimer !== null) clearTimeout(this.#sendTimer);
    this.#sendTimer = null;
    this.#maybeDone();
  }

  /** Done when nothing more will be sent and every outstanding message has come back or timed out. */
  #maybeDone(): void {
    if ((this.#stopped || this.#sent >= this.#s.count) && this.#pending.every((p) => p.lost)) this.#finish();
  }

  #finish(): void {
    if (this.#sendTimer !== null) clearTimeout(this.#sendTimer);
    this.#sendTimer = null;
    for (const p of this.#pending) {
      if (p.timer !== null) clearTimeout(p.timer);
      if (!p.lost) {
        this.#lost++;
        this.#s.onReply?.({ seq: p.seq, bytes: this.#s.payload.length, rttMs: null, match: true });
      }
    }
    this.#pending.length = 0;
    this.#s.signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.removeAllListeners('data');
    this.#resolve();
  }
}

/** Ping over an open channel; closes it gracefully at the end. */
export async function pingStream(socket: Duplex, target: string, connectMs: number, settings: PingSettings): Promise<PingSummary> {
  const run = new StreamPing(socket, target, settings);
  await run.run();
  await closeGracefully(socket, Math.min(settings.timeoutMs, 1000));
  return run.summary(connectMs);
}
