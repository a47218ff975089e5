/**
 * The units grammar shared by every option: durations ("30s", "500ms", "1.5m") and sizes ("64", "1KiB", "64KiB").
 * Library options accept either a number (milliseconds, bytes) or such a string.
 */
import { invalidOption } from './errors.js';

/** A duration: a number of milliseconds, or a string such as "30s", "500ms", "5m", "1h". */
export type Duration = number | string;
/** A size: a number of bytes, or a string such as "64", "1KiB", "1MiB", "1KB". */
export type Size = number | string;

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const NUMBER_WITH_UNIT = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ]*)$/i;

/**
 * Parse a duration into milliseconds. A bare number other than 0 needs a unit, because "30" could mean
 * seconds or milliseconds and guessing wrong is worse than asking.
 * @throws InvalidArgumentError (ERR_NETECHO_INVALID_ARGUMENT) naming `name`.
 */
export function parseDuration(value: Duration, name = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw invalidOption(name, `${value} (expected milliseconds >= 0)`);
    }
    return value;
  }
  const text = value.trim();
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) {
    throw invalidOption(name, `"${value}" (expected a duration such as 500ms, 30s, 5m)`);
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  if (unit === '') {
    if (amount === 0) return 0;
    throw invalidOption(name, `"${value}" needs a unit (for example ${amount}s or ${amount}ms)`);
  }
  const factor = DURATION_UNITS[unit];
  if (factor === undefined) {
    throw invalidOption(name, `"${value}" has an unknown unit "${match[2]}" (use us, ms, s, m or h)`);
  }
  const ms = amount * factor;
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw invalidOption(name, `"${value}" is too long (at most about 24 days)`);
  }
  return ms;
}

/**
 * Parse a size into bytes: a bare number is bytes; KiB/MiB/GiB are powers of 1024, KB/MB/GB powers of 1000.
 * @throws InvalidArgumentError (ERR_NETECHO_INVALID_ARGUMENT) naming `name`.
 */
export function parseSize(value: Size, name = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw invalidOption(name, `${value} (expected a whole number of bytes >= 0)`);
    }
    return value;
  }
  const text = value.trim();
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) {
    throw invalidOption(name, `"${value}" (expected a size such as 64, 1KiB, 64KiB, 1MiB)`);
  }
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) {
    throw invalidOption(name, `"${value}" has an unknown unit "${match[2]}" (use B, KiB, MiB, GiB, KB, MB or GB)`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes)) {
    throw invalidOption(name, `"${value}" is not a whole number of bytes`);
  }
  return bytes;
}

/** Parse a whole number option (counts, connections). */
export function parseCount(value: number | string, name: string, min = 0): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw invalidOption(name, `"${value}" (expected a whole number >= ${min})`);
  }
  return n;
}

/** "1.5 MiB", "512 B": sizes for humans. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  if (Number.isInteger(value)) return `${value} ${units[i]}`;
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

/** "250ms", "30s", "5m": durations for humans, the inverse of parseDuration for round values. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
