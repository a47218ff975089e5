/**
 * ping(): one message per interval over one connection, each round trip timed, summarised like ping(8).
 * A reply that does not come back within the timeout counts as lost; its bytes arriving later are not a reply.
 */
import { performance } from 'node:perf_hooks';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { invalidOption } from '../errors.js';
import type { Duration } from '../units.js';
import { openChannel, CHANNEL_SCHEMES, isWebSocket } from './channel.js';
import { clientEndpoint } from './connect.js';
import { pingStream } from './ping-stream.js';
import type { PingReply, PingSettings, PingSummary } from './ping-summary.js';
import { pingUdp } from './ping-udp.js';
import { validateClientTls, type ClientTlsOptions } from './tls-options.js';
import { resolveWebSocketClient, type WebSocketClientOptions } from './websocket-options.js';
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

export type { PingReply, PingSummary, RttStats } from './ping-summary.js';

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
  const settings: PingSettings = {
    count,
    intervalMs,
    timeoutMs,
    payload,
    // Over WebSocket a string goes as a text message; bytes as binary.
    text: typeof message === 'string' && isWebSocket(endpoint.scheme) ? message : null,
    verify: Boolean(options.verify),
    signal: options.signal,
    onReply: options.onReply,
  };
  if (endpoint.scheme === 'udp') return pingUdp(endpoint, settings);
  const t0 = performance.now();
  const socket = await openChannel(endpoint, { timeoutMs, signal: options.signal, tls: options.tls, websocket });
  return pingStream(socket, formatEndpoint(endpoint), performance.now() - t0, settings);
}
