/** Request headers as users give them (an object, or "Name: value" lines), checked: token names, no line breaks. */
import { invalidOption } from './errors.js';

export type HeaderLines = Record<string, string> | readonly string[];

/** An HTTP token (RFC 9110): header names, methods. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** "Name: value" lines or an object, validated (no CR/LF, token names). */
export function parseHeaders(headers: HeaderLines | undefined, name = 'headers'): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, v: string): void => {
    if (!HTTP_TOKEN.test(k)) throw invalidOption(name, `"${k}" is not a header name`);
    if (/[\r\n\0]/.test(v)) throw invalidOption(name, `the value of ${k} contains a line break`);
    out[k.toLowerCase()] = v;
  };
  if (headers === undefined) return out;
  if (Array.isArray(headers)) {
    for (const line of headers as readonly string[]) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw invalidOption(name, `"${line}" (expected "Name: value")`);
      add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  } else {
    for (const [k, v] of Object.entries(headers)) add(k, String(v));
  }
  return out;
}

