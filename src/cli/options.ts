/** Helpers that turn flag strings into values, with messages that name the flag as the user typed it. */
import { InvalidArgumentError } from '../errors.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../telemetry/logger.js';
import { parseCount, parseDuration, parseSize } from '../units.js';

export function durationFlag(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, flag);
}

export function sizeFlag(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseSize(value, flag);
}

export function countFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  return value === undefined ? undefined : parseCount(value, flag, min);
}

export interface LogFlags {
  logLevel?: string;
  logFormat?: string;
  quiet?: boolean;
}

export function logSettings(flags: LogFlags): { level: LogLevel; format: LogFormat } {
  const format = flags.logFormat ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new InvalidArgumentError(`invalid --log-format: "${format}" (use text or json)`);
  }
  const level = flags.logLevel ?? (flags.quiet ? 'warn' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`invalid --log-level: "${level}" (use ${LOG_LEVELS.join(', ')})`);
  }
  return { level: level as LogLevel, format };
}
