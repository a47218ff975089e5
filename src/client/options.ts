/** Client option defaults and validation, shared by send, stream and ping. */
import { InvalidArgumentError } from '../errors.js';
import { parseCount, parseDuration, type Duration } from '../units.js';

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
  if (ms <= 0) throw new InvalidArgumentError(`invalid ${name}: must be greater than 0`);
  return ms;
}

export function resolveCount(value: number | string | undefined, name = 'count'): number {
  return value === undefined ? Infinity : parseCount(value, name, 1);
}

export function toBuffer(message: string | Uint8Array): Buffer {
  if (typeof message === 'string') return Buffer.from(message, 'utf8');
  if (message instanceof Uint8Array) return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  throw new InvalidArgumentError('invalid message: expected a string or bytes');
}
