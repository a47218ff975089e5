/** Client option defaults and validation, shared by send, stream and ping. */
import { invalidOption } from '../errors.js';
import type { OptionShape } from '../option-shape.js';
import { parseCount, parseDuration, type Duration } from '../units.js';
import { CLIENT_TLS_SHAPE } from './tls-options.js';
import { WEBSOCKET_CLIENT_SHAPE } from './websocket-options.js';

/** send()'s, sendStream()'s and ping()'s options, for checkShape(). */
export const SEND_SHAPE: OptionShape = {
  timeout: 'duration',
  verify: 'boolean',
  signal: 'signal',
  retries: 'count',
  tls: CLIENT_TLS_SHAPE,
  websocket: WEBSOCKET_CLIENT_SHAPE,
};
export const STREAM_SHAPE: OptionShape = {
  timeout: 'duration',
  verify: 'boolean',
  signal: 'signal',
  tls: CLIENT_TLS_SHAPE,
  websocket: WEBSOCKET_CLIENT_SHAPE,
  lines: 'boolean',
};
export const PING_SHAPE: OptionShape = {
  count: 'count',
  interval: 'duration',
  timeout: 'duration',
  message: 'bytes',
  verify: 'boolean',
  signal: 'signal',
  tls: CLIENT_TLS_SHAPE,
  websocket: WEBSOCKET_CLIENT_SHAPE,
  onReply: 'function',
};

/** The tutorial's message. */
export const DEFAULT_MESSAGE = 'Hello, World!';
/** Connect timeout, and the wait for each whole echo. */
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_INTERVAL_MS = 1000;

export function resolveTimeout(value: Duration | undefined, name = 'timeout'): number {
  return value === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(value, name);
}

export function resolveInterval(value: Duration | undefined, name = 'interval'): number {
  const ms = value === undefined ? DEFAULT_INTERVAL_MS : parseDuration(value, name);
  if (ms <= 0) throw invalidOption(name, `must be greater than 0`);
  return ms;
}

export function resolveCount(value: number | string | undefined, name = 'count'): number {
  return value === undefined ? Infinity : parseCount(value, name, 1);
}

export function toBuffer(message: string | Uint8Array): Buffer {
  if (typeof message === 'string') return Buffer.from(message, 'utf8');
  if (message instanceof Uint8Array) return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  throw invalidOption('message', 'expected a string or bytes');
}
