/** Pretty JSON for a terminal: two-space indent, colours when asked (keys, strings, numbers, literals). */

const C = { key: '\x1b[34;1m', string: '\x1b[32m', number: '\x1b[36m', literal: '\x1b[35m', reset: '\x1b[0m' };

/** JSON.stringify(value, null, 2), coloured with ANSI codes when `color`. */
export function prettyJson(value: unknown, color: boolean): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  if (!color) return text;
  // Tokens of JSON text: strings (keys when followed by a colon), numbers, true/false/null.
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g, (m, str: string | undefined, colon: string | undefined, num: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon !== undefined ? `${C.key}${str}${C.reset}${colon}` : `${C.string}${str}${C.reset}`;
    if (num !== undefined) return `${C.number}${num}${C.reset}`;
    if (lit !== undefined) return `${C.literal}${lit}${C.reset}`;
    return m;
  });
}

/** Colour on stdout: a terminal, and NO_COLOR unset or empty (no-color.org); FORCE_COLOR forces it. */
export function useColor(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTty && env.TERM !== 'dumb';
}

/**
 * One JSON document and a newline, for --json: fractional numbers (milliseconds, percentages) rounded to 3
 * decimals, so 2.993893000000014 reads 2.994 (microseconds for milliseconds).
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v))}\n`;
}
