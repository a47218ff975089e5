/**
 * The first check of every library entry point: the options object has only known names, each of the right
 * type. A misspelt option would otherwise be ignored and its default silently apply; a wrong type would end as a
 * TypeError deep inside. Values are validated further (ranges, units) where each option is resolved.
 */
import { InvalidArgumentError } from './errors.js';

export type OptionKind =
  | 'duration'
  | 'size'
  | 'count'
  | 'boolean'
  | 'string'
  | 'strings'
  | 'pem'
  | 'bytes'
  | 'function'
  | 'signal'
  | 'writable'
  | 'headers'
  | 'any'
  | OptionShape;

export interface OptionShape {
  readonly [name: string]: OptionKind;
}

const EXPECTED: Record<Exclude<OptionKind, OptionShape>, string> = {
  duration: 'a number of milliseconds or a string such as "30s"',
  size: 'a number of bytes or a string such as "64KiB"',
  count: 'a whole number',
  boolean: 'true or false',
  string: 'a string',
  strings: 'a string or an array of strings',
  pem: 'PEM text (a string or a Buffer)',
  bytes: 'a string or bytes (Uint8Array)',
  function: 'a function',
  signal: 'an AbortSignal',
  writable: 'a writable stream',
  headers: 'an object of header names to values, or an array of "Name: value" lines',
  any: 'anything',
};

function fits(kind: Exclude<OptionKind, OptionShape>, v: unknown): boolean {
  switch (kind) {
    case 'duration':
    case 'size':
    case 'count':
      return (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'strings':
      return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'pem':
    case 'bytes':
      return typeof v === 'string' || v instanceof Uint8Array;
    case 'function':
      return typeof v === 'function';
    case 'signal':
      return v instanceof AbortSignal;
    case 'writable':
      return typeof v === 'object' && v !== null && typeof (v as { write?: unknown }).write === 'function';
    case 'headers':
      return (Array.isArray(v) && v.every((x) => typeof x === 'string')) || (typeof v === 'object' && v !== null && !Array.isArray(v));
    case 'any':
      return true;
  }
}

/**
 * @throws InvalidArgumentError (ERR_NETECHO_INVALID_ARGUMENT) with `option` set: options that are not an object,
 *   an unknown option (suggesting the closest known name), or a value of the wrong type.
 */
export function checkShape(options: unknown, shape: OptionShape, what: string, prefix = ''): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    if (prefix === '') throw new InvalidArgumentError(`invalid ${what} options: expected an object`);
    const name = prefix.slice(0, -1);
    throw new InvalidArgumentError([name], (n) => `invalid ${n}: expected an object`);
  }
  for (const [key, value] of Object.entries(options)) {
    const kind = shape[key];
    const name = `${prefix}${key}`;
    if (kind === undefined) {
      const near = closest(key, Object.keys(shape));
      const hint = near === null ? ` (${what} takes ${Object.keys(shape).join(', ')})` : '';
      throw new InvalidArgumentError(
        near === null ? [name] : [name, `${prefix}${near}`],
        (n, m) => `unknown ${what} option ${quote(n)}${m === undefined ? hint : ` (did you mean ${quote(m)}?)`}`,
      );
    }
    if (value === undefined) continue;
    if (typeof kind === 'object') {
      checkShape(value, kind, what, `${name}.`);
      continue;
    }
    if (!fits(kind, value)) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      throw new InvalidArgumentError([name], (n) => `invalid ${n}: expected ${EXPECTED[kind]}, not ${got}`);
    }
  }
}

/** Library names are quoted; the CLI's flags (which start with -) are not. */
function quote(name: string): string {
  return name.startsWith('-') ? name : `"${name}"`;
}

/** The known name nearest to `name` by edit distance, if near enough to be a slip (case counts as half). */
export function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0.5 : distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
