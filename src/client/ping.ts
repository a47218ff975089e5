/**
 * ping(): one message per interval over one connection, each round trip timed, summarised like ping(8).
 * A reply that does not come back within the timeout counts as lost; its bytes arriving later are not a reply.
 */
import { performance } from 'node:perf_hooks';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { ConnectionClosedError, invalidOption, fromConnectError, type NetechoError } from '../errors.js';
import type { Duration } from '../units.js';
import { openChannel, CHANNEL_SCHEMES, isWebSocket } from './channel.js';
import { clientEndpoint } from './connect.js';
import { pingUdp } from './ping-udp.js';
import { validateClientTls, type ClientTlsOptions } from './tls-options.js';
import { resolveWebSocketClient, type WebSocketClientOptions } from './websocket-options.js';
import { closeGracefully } from './send.js';
import { DEFAULT_MESSAGE, PING_SHAPE, resolveCount, resolveInterval, resolveTimeout, toBuffer } from './options.js';
import { checkShape } from '../option-shape.js';

export interface PingOptions {
  /** Messages to send. Default: until `signal` aborts. */
  count?: number | string;
  /** Time between sends. Default "1s". */
  interval?: Duration;
  /** Connect timeout, and how long each reply may take before it counts as lost. Default "5s". */
  timeout?: Duration;
  /** The payload. Default "Hello, World!". */
  message?: string | Uint8Array;
  /** Count replies that differ from the message as mismatches (reported in the summary). Default false. */
  verify?: boolean;
  /** Stop sending; the summary covers what was sent so far. */
  signal?: AbortSignal;
  /** For tls:// and wss://: trust, client certificate, server name. */
  tls?: ClientTlsOptions;
  /** For ws:// and wss://: headers, Origin and subprotocols for the upgrade. */
  websocket?: WebSocketClientOptions;
  /** Called for each reply, and for each loss (rttMs null). */
  onReply?: (reply: PingReply) => void;
}

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

interface Pending {
  seq: number;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  lost: boolean;
  match: boolean;
}

/**
 * @throws the connect errors of send(), and ERR_NETECHO_INVALID_ARGUMENT for bad options; failures after
 *   connecting are reported in `summary.error` instead, so the counts are never lost.
 */
export async function ping(url: string | Endpoint, options: PingOptions = {}): Promise<PingSummary> {
  checkShape(options, PING_SHAPE, 'ping');
  validateClientTls(options.tls);
  const endpoint = clientEndpoint(url, [...CHANNEL_SCHEMES, 'udp']);
  const websocket = resolveWebSocketClient(options.websocket, endpoint.scheme);
  const count = resolveCount(options.count);
  const intervalMs = resolveInterval(options.interval);
  const timeoutMs = resolveTimeout(options.timeout);
  const message = options.message ?? DEFAULT_MESSAGE;
  const payload = toBuffer(message);
  if (payload.length === 0) throw invalidOption('message', 'ping needs at least one byte');
  if (endpoint.scheme === 'udp') {
    return pingUdp(endpoint, { count, intervalMs, timeoutMs, payload, verify: Boolean(options.verify), signal: options.signal, onReply: options.onReply });
  }
  const target = formatEndpoint(endpoint);
  const L = payload.length;

  const t0 = performance.now();
  // Over WebSocket a string goes as a text message; bytes as binary.
  const text = typeof message === 'string' && isWebSocket(endpoint.scheme) ? message : null;
  const socket = await openChannel(endpoint, { timeoutMs, signal: options.signal, tls: options.tls, websocket });
  const connectMs = performance.now() - t0;
  const start = performance.now();

  const pending: Pending[] = []; // in send order; index 0 is the oldest unanswered
  let sent = 0;
  let received = 0;
  let lost = 0;
  let mismatches = 0;
  let bytesIn = 0; // echo bytes seen so far
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = 0;
  let error: NetechoError | null = null;

  await new Promise<void>((resolve) => {
    let sendTimer: NodeJS.Timeout | null = null;
    let stopped = false;

    const maybeDone = (): void => {
      // Done when nothing more will be sent and every outstanding message has come back or timed out.
      if ((stopped || sent >= count) && pending.every((p) => p.lost)) finish();
    };
    const finish = (): void => {
      if (sendTimer !== null) clearTimeout(sendTimer);
      sendTimer = null;
      for (const p of pending) {
        if (p.timer !== null) clearTimeout(p.timer);
        if (!p.lost) {
          lost++;
          options.onReply?.({ seq: p.seq, bytes: L, rttMs: null, match: true });
        }
      }
      pending.length = 0;
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data');
      resolve();
    };
    const onAbort = (): void => {
      stopped = true;
      // Replies already in flight get their timeout to arrive, as ping(8) waits for the last one.
      if (sendTimer !== null) clearTimeout(sendTimer);
      sendTimer = null;
      maybeDone();
    };
    const sendOne = (): void => {
      sendTimer = null;
      if (stopped || sent >= count) return;
      sent++;
      const p: Pending = { seq: sent, sentAt: performance.now(), timer: null, lost: false, match: true };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          p.timer = null;
          p.lost = true;
          lost++;
          options.onReply?.({ seq: p.seq, bytes: L, rttMs: null, match: true });
          maybeDone();
        }, timeoutMs);
      }
      pending.push(p);
      socket.write(text ?? payload);
      if (sent < count) sendTimer = setTimeout(sendOne, Math.max(0, start + sent * intervalMs - performance.now()));
    };

    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      for (let i = 0; i < chunk.length; ) {
        const p = pending[0];
        if (p === undefined) return; // more than was sent: nothing to match it against
        const at = bytesIn % L;
        const n = Math.min(L - at, chunk.length - i);
        if (options.verify && !payload.subarray(at, at + n).equals(chunk.subarray(i, i + n))) p.match = false;
        bytesIn += n;
        i += n;
        if (bytesIn % L !== 0) continue;
        pending.shift();
        if (p.timer !== null) clearTimeout(p.timer);
        if (p.lost) continue; // a late reply: already counted as lost
        const rtt = now - p.sentAt;
        received++;
        if (!p.match) mismatches++;
        sum += rtt;
        sumSq += rtt * rtt;
        if (rtt < min) min = rtt;
        if (rtt > max) max = rtt;
        options.onReply?.({ seq: p.seq, bytes: L, rttMs: rtt, match: p.match });
      }
      maybeDone();
    });
    socket.on('error', (err) => {
      error ??= fromConnectError(err, target);
      finish();
    });
    socket.on('end', () => {
      if (pending.length > 0 || (!stopped && sent < count)) {
        error ??= new ConnectionClosedError(`${target} closed the connection after ${received} replies`);
      }
      finish();
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    else sendOne();
  });

  await closeGracefully(socket, Math.min(timeoutMs, 1000));
  const avg = received > 0 ? sum / received : 0;
  const rtt = received > 0 ? { min, avg, max, stddev: Math.sqrt(Math.max(0, sumSq / received - avg * avg)) } : null;
  return pingSummary({ url: target, sent, received, lost, mismatches, connectMs, elapsedMs: performance.now() - start, rtt, error });
}

/** The summary object, with the loss percentage worked out (shared by the stream and UDP pings). */
export function pingSummary(s: Omit<PingSummary, 'lossPercent'>): PingSummary {
  const { url, sent, received, lost, mismatches, connectMs, elapsedMs, rtt, error } = s;
  return { url, sent, received, lost, lossPercent: sent > 0 ? (lost / sent) * 100 : 0, mismatches, connectMs, elapsedMs, rtt, error };
}
