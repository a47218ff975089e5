/**
 * What a bench run counts: the counters, the latency histogram, and the measured window. Connections report to
 * it (a round trip, bytes, an error); the engine opens and closes the window. Warm-up traffic moves the live rate
 * only.
 */
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { createHistogram } from './histogram.js';

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
  /** HTTP: replies with a status of 300 to 399, 400 to 499, 500 to 599 (errors: they carry no echo). */
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** UDP: datagrams whose echo did not come within the timeout (not errors: datagrams may be lost). */
  lost: number;
  /** UDP: echoes that overtook an older outstanding datagram. */
  reordered: number;
}

/** Errors a connection can end with. */
export type FailKind = 'mismatches' | 'shortReads' | 'closed' | 'resets' | 'timeouts' | 'resetAtOpen';

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
    status3xx: 0,
    status4xx: 0,
    status5xx: 0,
    lost: 0,
    reordered: 0,
  };
}

export function errorTotal(c: Counters): number {
  return c.mismatches + c.shortReads + c.closed + c.resets + c.timeouts + c.connectErrors + c.resetAtOpen + statusErrors(c);
}

/** HTTP replies that were not 2xx. */
export function statusErrors(c: Counters): number {
  return c.status3xx + c.status4xx + c.status5xx;
}

/** A connection reset by the peer (raw, or as netecho's error). */
export function isReset(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_NETECHO_CONNECTION_RESET';
}

export class Recorder {
  readonly counters: Counters = newCounters();
  readonly histogram: Histogram = createHistogram();
  /** Inside the measured window. */
  recording = false;
  /** The load is running (warm-up or window); false before it starts and once it stops. */
  running = false;
  /** The run is over: its connections are being closed (resets now are not errors). */
  stopped = false;
  /** When the window opened: a message counts if it was sent (or scheduled) from then on. */
  windowStart = Infinity;
  /** Completions and echo bytes since load began, warm-up included: for the live rate only. */
  completed = 0;
  received = 0;

  sent(bytes: number): void {
    if (this.recording) this.counters.bytesSent += bytes;
  }

  /** Echo bytes arrived (any mode). */
  echoed(bytes: number): void {
    this.received += bytes;
    if (this.recording) this.counters.bytesReceived += bytes;
  }

  /** One message came back whole; `sentAt` is when it was sent (or scheduled). */
  roundTrip(sentAt: number, now: number): void {
    this.completed++;
    if (this.recording && sentAt >= this.windowStart) {
      this.counters.roundTrips++;
      this.histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
    }
  }

  /** An HTTP reply with a status other than 2xx to a message sent at `sentAt`: an error, the connection goes on. */
  status(code: number, sentAt: number): void {
    this.completed++;
    if (this.recording && sentAt >= this.windowStart) this.counters[code >= 500 ? 'status5xx' : code >= 400 ? 'status4xx' : 'status3xx']++;
  }

  /** A UDP echo: in-window datagrams count their bytes and their latency. */
  datagram(sentAt: number, now: number, bytes: number): void {
    this.received += bytes;
    this.completed++;
    if (this.recording && sentAt >= this.windowStart) {
      this.counters.bytesReceived += bytes;
      this.counters.roundTrips++;
      this.histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
    }
  }

  /** A stream-mode message came back whole (no latency: writes are not paired with reads). */
  streamed(): void {
    this.completed++;
    if (this.recording) this.counters.roundTrips++;
  }

  /** A UDP datagram sent at `sentAt` got no echo in time. */
  lost(sentAt: number): void {
    if (this.recording && sentAt >= this.windowStart) this.counters.lost++;
  }

  reordered(): void {
    if (this.recording) this.counters.reordered++;
  }

  /** A connection ended with an error. Resets while the run closes its connections are not errors. */
  failed(kind: FailKind): void {
    if (kind === 'resetAtOpen' ? !this.stopped : this.running || kind !== 'resets') this.counters[kind]++;
  }

  openWindow(): void {
    this.windowStart = performance.now();
    this.recording = true;
  }
}
