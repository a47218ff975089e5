/** What ping() reports: each reply, and the summary with round-trip statistics, shared by the stream and UDP pings. */
import type { NetechoError } from '../errors.js';

export interface PingReply {
  seq: number;
  bytes: number;
  /** Round-trip time in milliseconds, or null when the reply timed out. */
  rttMs: number | null;
  /** Whether the echo equals the message (always true unless `verify` found a difference). */
  match: boolean;
}

export interface RttStats {
  min: number;
  avg: number;
  max: number;
  stddev: number;
}

export interface PingSummary {
  url: string;
  sent: number;
  received: number;
  lost: number;
  /** Percent of sent messages lost, 0 to 100. */
  lossPercent: number;
  mismatches: number;
  connectMs: number;
  elapsedMs: number;
  /** Round-trip statistics in milliseconds, or null when nothing came back. */
  rtt: RttStats | null;
  /** Set when the connection failed part way; the counts cover what happened before. */
  error: NetechoError | null;
}

/** A ping run's settings, resolved from PingOptions. */
export interface PingSettings {
  count: number;
  intervalMs: number;
  timeoutMs: number;
  payload: Buffer;
  /** Over WebSocket, the text to send as a text message (null: the payload as binary). */
  text: string | null;
  verify: boolean;
  signal?: AbortSignal | undefined;
  onReply?: ((reply: PingReply) => void) | undefined;
}

/** Round trips as they come, summarised like ping(8): min, avg, max and the (population) standard deviation. */
export class RttRecorder {
  #count = 0;
  #sum = 0;
  #sumSq = 0;
  #min = Infinity;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    this.#count++;
    this.#sum += ms;
    this.#sumSq += ms * ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  stats(): RttStats | null {
    if (this.#count === 0) return null;
    const avg = this.#sum / this.#count;
    return { min: this.#min, avg, max: this.#max, stddev: Math.sqrt(Math.max(0, this.#sumSq / this.#count - avg * avg)) };
  }
}

/** The summary, with the loss percentage worked out. */
export function pingSummary(s: Omit<PingSummary, 'lossPercent'>): PingSummary {
  const { url, sent, received, lost, mismatches, connectMs, elapsedMs, rtt, error } = s;
  return { url, sent, received, lost, lossPercent: sent > 0 ? (lost / sent) * 100 : 0, mismatches, connectMs, elapsedMs, rtt, error };
}

/** Wait `ms`, or less if `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
