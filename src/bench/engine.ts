/**
 * The load engine: opens connections, drives them in one of four modes, verifies every echoed byte, and
 * emits events ('tick' each second, 'done'). It never prints: display code listens (as autocannon does).
 *
 * Hot path: one 'data' handler per connection compares the echo in place against the connection's payload
 * (Buffer#compare, no copies) and records the latency in an HDR histogram.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { TypedEmitter } from '../typed-emitter.js';
import { fromConnectError, type NetechoError } from '../errors.js';
import { createHistogram } from './histogram.js';
import { dial, dialHttp, dialUdp, type Link } from './links.js';
import type { BenchConfig, BenchMode } from './options.js';

export interface Counters {
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  mismatches: number;
  shortReads: number;
  closed: number;
  resets: number;
  timeouts: number;
  connectErrors: number;
  /** Connections the server reset as they opened, before any echo (a server capping connections). */
  resetAtOpen: number;
  /** UDP: datagrams whose echo did not come within the timeout (not errors: datagrams may be lost). */
  lost: number;
  /** UDP: echoes that overtook an older outstanding datagram. */
  reordered: number;
}

export interface TickInfo {
  /** Since load started, warm-up included. */
  elapsedMs: number;
  phase: 'warmup' | 'measure';
  /** Round trips in the last tick, per second. */
  ratePerSec: number;
  /** Echo bytes in the last tick, per second. */
  bytesPerSec: number;
  roundTrips: number;
  errors: number;
  connections: number;
}

export interface EngineResult {
  counters: Counters;
  histogram: Histogram;
  /** The measured window in ms (shorter than asked if stopped early). */
  windowMs: number;
  connected: number;
  /** User+system CPU of this process over the window, in microseconds. */
  cpuMicros: number;
}

export interface EngineEvents {
  connected: [count: number];
  start: [];
  measuring: [];
  /** The measured window ended; connections are closing. */
  stopped: [];
  tick: [info: TickInfo];
  done: [result: EngineResult];
}

/** This engine's share of the run (with worker threads, each has its own). */
export interface EngineShare {
  connections: number;
  /** Messages per second for this share (rate mode). */
  rate: number;
  /** Global index of this share's first connection: payloads and sources differ per connection. */
  firstIndex: number;
}

export function newCounters(): Counters {
  return {
    roundTrips: 0,
    bytesSent: 0,
    bytesReceived: 0,
    mismatches: 0,
    shortReads: 0,
    closed: 0,
    resets: 0,
    timeouts: 0,
    connectErrors: 0,
    resetAtOpen: 0,
    lost: 0,
    reordered: 0,
  };
}

/** A connection reset by the peer (raw, or as netecho's error). */
function isReset(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_NETECHO_CONNECTION_RESET';
}

export function errorTotal(c: Counters): number {
  return c.mismatches + c.shortReads + c.closed + c.resets + c.timeouts + c.connectErrors + c.resetAtOpen;
}

const PARALLEL_CONNECTS = 256;
const TICK_MS = 1000;
const CHECK_MS = 50;

class Connection {
  readonly engine: BenchEngine;
  readonly socket: Link;
  readonly payload: Buffer;
  /** Offset within the message being echoed. */
  rx = 0;
  /** Send (or scheduled send) times of messages in flight, oldest at `head`. */
  times: number[] = [];
  head = 0;
  alive = true;
  /** True once any echo byte came back: a reset before that is the server refusing the connection. */
  echoed = false;
  /** UDP: the sequence number of times[0], and the highest sequence number echoed so far. */
  base = 0;
  maxSeq = -1;
  /** Rate mode: the next scheduled send time, and the time between sends. */
  nextAt = 0;
  interval = 0;

  constructor(engine: BenchEngine, socket: Link, payload: Buffer) {
    this.engine = engine;
    this.socket = socket;
    this.payload = payload;
    socket.on('drain', () => this.pump());
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code === 'ETIMEDOUT' ? 'timeouts' : this.echoed || !isReset(err) ? 'resets' : 'resetAtOpen'));
  }

  get inFlight(): number {
    return this.times.length - this.head;
  }

  send(at: number): void {
    this.times.push(at);
    if (this.engine.recording) this.engine.counters.bytesSent += this.payload.length;
    this.socket.write(this.payload);
  }

  /** Stream mode: write until the socket pushes back; 'drain' calls again. */
  pump(): void {
    const e = this.engine;
    if (e.mode !== 'stream') return;
    const size = this.payload.length;
    while (this.alive && e.running) {
      if (e.recording) e.counters.bytesSent += size;
      if (!this.socket.write(this.payload)) return;
    }
  }

  /** `len` bytes of the echo in `chunk` (the engine's shared read buffer: nothing here may keep it). */
  onData(chunk: Buffer, len: number): void {
    const e = this.engine;
    if (!this.alive) return;
    const payload = this.payload;
    const size = payload.length;
    const recording = e.recording;
    this.echoed = true;
    e.received += len;
    if (recording) e.counters.bytesReceived += len;
    let rx = this.rx;
    let i = 0;
    if (e.mode === 'stream') {
      while (i < len) {
        const n = Math.min(size - rx, len - i);
        if (payload.compare(chunk, i, i + n, rx, rx + n) !== 0) return this.fail('mismatches');
        rx += n;
        i += n;
        if (rx === size) {
          rx = 0;
          e.completed++;
          if (recording) e.counters.roundTrips++;
        }
      }
      this.rx = rx;
      return;
    }
    let completed = 0;
    const now = performance.now();
    while (i < len) {
      if (this.head === this.times.length) return this.fail('mismatches'); // more bytes than were sent
      const n = Math.min(size - rx, len - i);
      if (payload.compare(chunk, i, i + n, rx, rx + n) !== 0) return this.fail('mismatches');
      rx += n;
      i += n;
      if (rx === size) {
        rx = 0;
        const t = this.times[this.head++] as number;
        completed++;
        if (recording && t >= e.windowStart) {
          e.counters.roundTrips++;
          e.histogram.recordValue(Math.max(1, Math.round((now - t) * 1000)));
        }
      }
    }
    this.rx = rx;
    e.completed += completed;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    if (completed > 0 && e.running && (e.mode === 'closed' || e.mode === 'pipeline')) {
      if (completed === 1) this.send(now);
      else {
        this.socket.cork();
        for (let k = 0; k < completed; k++) this.send(now);
        this.socket.uncork();
      }
    }
  }

  /**
   * UDP: one echoed datagram carrying sequence number `seq` (= its index in `times`, counted from `base`).
   * Answered and lost slots are marked -1; an echo for one of those (late or duplicated) is ignored.
   */
  onDatagram(msg: Buffer, seq: number): void {
    const e = this.engine;
    if (!this.alive) return;
    const payload = this.payload;
    const idx = seq - this.base;
    const t = idx >= this.head && idx < this.times.length ? (this.times[idx] as number) : -1;
    if (t < 0) return;
    // The first 4 bytes are the sequence number (checked by finding its slot); the rest must be the payload.
    if (msg.length !== payload.length || payload.compare(msg, 4, msg.length, 4, payload.length) !== 0) return this.fail('mismatches');
    const now = performance.now();
    this.echoed = true;
    this.times[idx] = -1;
    if (seq < this.maxSeq) {
      if (e.recording) e.counters.reordered++;
    } else this.maxSeq = seq;
    e.received += msg.length;
    e.completed++;
    if (e.recording && t >= e.windowStart) {
      e.counters.bytesReceived += msg.length;
      e.counters.roundTrips++;
      e.histogram.recordValue(Math.max(1, Math.round((now - t) * 1000)));
    }
    this.#advance();
    if (e.running && (e.mode === 'closed' || e.mode === 'pipeline')) this.send(now);
  }

  /** UDP: datagrams sent before `before` with no echo yet are lost; in the loops, each is replaced. */
  expire(before: number, now: number): void {
    const e = this.engine;
    let lost = 0;
    for (let i = this.head; i < this.times.length; i++) {
      const t = this.times[i] as number;
      if (t < 0) continue;
      if (t > before) break;
      this.times[i] = -1;
      lost++;
      if (e.recording && t >= e.windowStart) e.counters.lost++;
    }
    if (lost === 0) return;
    this.#advance();
    if (e.running && (e.mode === 'closed' || e.mode === 'pipeline')) for (let k = 0; k < lost; k++) this.send(now);
  }

  #advance(): void {
    while (this.head < this.times.length && (this.times[this.head] as number) < 0) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  onEnd(): void {
    if (!this.alive) return;
    if (this.engine.running) this.fail(this.inFlight > 0 || this.rx > 0 ? 'shortReads' : 'closed');
    else this.alive = false;
  }

  fail(kind: 'mismatches' | 'shortReads' | 'closed' | 'resets' | 'timeouts' | 'resetAtOpen'): void {
    if (!this.alive) return;
    this.alive = false;
    // Resets while the run is closing its connections are not errors; a reset at open before the run is.
    if (kind === 'resetAtOpen' ? !this.engine.stopped : this.engine.running || kind !== 'resets') this.engine.counters[kind]++;
    this.socket.destroy();
  }
}

export class BenchEngine extends TypedEmitter<EngineEvents> {
  readonly config: BenchConfig;
  readonly share: EngineShare;
  readonly mode: BenchMode;
  readonly counters: Counters = newCounters();
  readonly histogram: Histogram = createHistogram();
  readonly #connections: Connection[] = [];
  /**
   * One read buffer for every connection (net's `onread`): reads skip the stream machinery and allocate
   * nothing; each read is verified before the next one can overwrite it.
   */
  readonly #readBuffer = Buffer.allocUnsafe(64 * 1024);
  recording = false;
  running = false;
  /** The run is over: its connections are being closed. */
  stopped = false;
  /** Why the first connection that failed to open failed (reported when none opened). */
  firstConnectError: NetechoError | null = null;
  /** Completions and echo bytes since load began, warm-up included: for the live rate in ticks only. */
  completed = 0;
  received = 0;
  windowStart = Infinity;
  #windowEnd = 0;
  #timers: NodeJS.Timeout[] = [];
  /** UDP: a missing echo is a lost datagram, not a dead connection. */
  readonly #datagrams: boolean;
  #stopResolve: (() => void) | null = null;
  #cpuStart: NodeJS.CpuUsage | null = null;

  constructor(config: BenchConfig, share?: EngineShare) {
    super();
    this.config = config;
    this.mode = config.mode;
    this.share = share ?? { connections: config.connections, rate: config.rate, firstIndex: 0 };
    this.#datagrams = config.endpoint.scheme === 'udp';
  }

  /** Open this share's connections. Resolves with how many connected; failures are counted, not thrown. */
  async connect(signal?: AbortSignal): Promise<number> {
    const { connections, firstIndex } = this.share;
    const { endpoint, sources, connectRate, timeoutMs, size } = this.config;
    let next = 0;
    const start = performance.now();
    const one = async (): Promise<void> => {
      while (next < connections && !signal?.aborted) {
        const index = firstIndex + next++;
        if (connectRate > 0) {
          const due = start + ((index - firstIndex) * 1000) / connectRate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const source = sources.length > 0 ? sources[index % sources.length] : undefined;
        const slot: { conn: Connection | null } = { conn: null };
        try {
          const payload = Buffer.allocUnsafe(size);
          randomFillSync(payload);
          const options = {
            endpoint,
            localAddress: source,
            timeoutMs,
            tls: this.config.tls,
            buffer: this.#readBuffer,
            onEcho: (buf: Buffer, len: number) => slot.conn?.onData(buf, len),
          };
          const socket =
            endpoint.scheme === 'udp'
              ? await dialUdp(options, (msg, seq) => slot.conn?.onDatagram(msg, seq))
              : endpoint.scheme === 'http' || endpoint.scheme === 'https'
                ? await dialHttp(options, this.config.pipeline)
                : await dial(options);
          slot.conn = new Connection(this, socket, payload);
          this.#connections.push(slot.conn);
        } catch (err) {
          if (isReset(err)) this.counters.resetAtOpen++;
          else this.counters.connectErrors++;
          this.firstConnectError ??= fromConnectError(err, this.config.url);
        }
      }
    };
    const parallel = connectRate > 0 ? Math.min(connections, Math.max(1, Math.ceil(connectRate / 10))) : Math.min(connections, PARALLEL_CONNECTS);
    await Promise.all(Array.from({ length: parallel }, one));
    this.emit('connected', this.#connections.length);
    return this.#connections.length;
  }

  /** Warm up, measure, stop. Resolves with the counters and histogram of the measured window. */
  run(signal?: AbortSignal): Promise<EngineResult> {
    const { warmupMs, durationMs, pipeline } = this.config;
    this.running = true;
    const t0 = performance.now();
    this.#windowEnd = t0 + warmupMs + durationMs;
    const stopped = new Promise<void>((resolve) => {
      this.#stopResolve = resolve;
    });
    signal?.addEventListener('abort', () => this.#finish(), { once: true });
    this.emit('start');

    const beginWindow = (): void => {
      // The window starts when recording does: a message counts if it was sent (or scheduled) from here on.
      this.windowStart = performance.now();
      this.#windowEnd = this.windowStart + durationMs;
      this.recording = true;
      this.#cpuStart = process.cpuUsage();
      this.emit('measuring');
    };
    if (warmupMs > 0) this.#timers.push(setTimeout(beginWindow, warmupMs));
    else beginWindow();
    this.#timers.push(setTimeout(() => this.#finish(), warmupMs + durationMs));
    // (the finish timer may fire a little before windowEnd if the warm-up timer ran late: #finish clamps it)

    // Ticks and message timeouts.
    let lastTick = t0;
    let lastCompleted = 0;
    let lastReceived = 0;
    const tick = (): void => {
      const now = performance.now();
      const timeoutMs = this.config.timeoutMs;
      for (const c of this.#connections) {
        if (!c.alive) continue;
        if (this.#datagrams) c.expire(now - timeoutMs, now);
        else if (c.head < c.times.length && now - (c.times[c.head] as number) > timeoutMs) c.fail('timeouts');
      }
      if (now - lastTick >= TICK_MS) {
        const dt = (now - lastTick) / 1000;
        this.emit('tick', {
          elapsedMs: now - t0,
          phase: this.recording ? 'measure' : 'warmup',
          ratePerSec: (this.completed - lastCompleted) / dt,
          bytesPerSec: (this.received - lastReceived) / dt,
          roundTrips: this.counters.roundTrips,
          errors: errorTotal(this.counters),
          connections: this.#connections.filter((c) => c.alive).length,
        });
        lastTick = now;
        lastCompleted = this.completed;
        lastReceived = this.received;
      }
    };
    this.#timers.push(setInterval(tick, CHECK_MS));

    const now = performance.now();
    switch (this.mode) {
      case 'closed':
      case 'pipeline':
        for (const c of this.#connections) {
          c.socket.cork();
          for (let k = 0; k < pipeline; k++) c.send(now);
          c.socket.uncork();
        }
        break;
      case 'stream':
        for (const c of this.#connections) c.pump();
        break;
      case 'rate':
        this.#startSchedule(now);
        break;
    }
    return stopped.then(() => this.#result());
  }

  /** Stop early (the result covers what was measured so far). */
  stop(): void {
    this.#finish();
  }

  #startSchedule(now: number): void {
    const live = this.#connections.length;
    if (live === 0 || this.share.rate <= 0) return;
    const perConnection = this.share.rate / live; // messages per second per connection
    const interval = 1000 / perConnection;
    for (const [i, c] of this.#connections.entries()) {
      c.interval = interval;
      c.nextAt = now + (interval * i) / live; // spread the first sends over one interval
    }
    const schedule = (): void => {
      if (!this.running) return;
      const t = performance.now();
      for (const c of this.#connections) {
        if (!c.alive || c.nextAt > t) continue;
        c.socket.cork();
        while (c.nextAt <= t) {
          c.send(c.nextAt); // latency counts from the scheduled time: a stalled server shows
          c.nextAt += c.interval;
        }
        c.socket.uncork();
      }
      this.#scheduleTimer = setTimeout(schedule, Math.max(0, Math.min(1, this.#nextDue() - performance.now())));
    };
    schedule();
  }

  #nextDue(): number {
    let due = Infinity;
    for (const c of this.#connections) if (c.alive && c.nextAt < due) due = c.nextAt;
    return due;
  }

  #finish(): void {
    if (!this.running) return;
    const end = performance.now();
    this.running = false;
    this.stopped = true;
    this.recording = false;
    this.#windowEnd = Math.min(this.#windowEnd, end);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    if (this.#scheduleTimer !== null) clearTimeout(this.#scheduleTimer);
    this.#cpuEnd = process.cpuUsage(this.#cpuStart ?? undefined);
    this.emit('stopped');
    void this.#closeAll().then(() => this.#stopResolve?.());
  }

  #cpuEnd: NodeJS.CpuUsage | null = null;
  #scheduleTimer: NodeJS.Timeout | null = null;

  async #closeAll(): Promise<void> {
    await Promise.all(
      this.#connections.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.alive = false;
            const s = c.socket;
            if (s.destroyed) return resolve();
            s.once('close', () => resolve());
            s.on('error', () => {});
            // Half-close so the server sees a clean end; a peer that does not answer is cut off.
            s.end();
            s.resume();
            setTimeout(() => s.destroy(), 1000).unref();
          }),
      ),
    );
  }

  #result(): EngineResult {
    const windowMs = Math.max(0, this.#windowEnd - this.windowStart);
    const cpu = this.#cpuStart !== null && this.#cpuEnd !== null ? this.#cpuEnd.user + this.#cpuEnd.system : 0;
    const result: EngineResult = { counters: this.counters, histogram: this.histogram, windowMs, connected: this.#connections.length, cpuMicros: cpu };
    this.emit('done', result);
    return result;
  }
}
