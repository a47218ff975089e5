/**
 * The one URL grammar for every endpoint, served or connected to: scheme://host:port[/path].
 * IPv6 hosts go in brackets (tcp://[::1]:65432). Errors quote the text the user typed.
 */
import { isIP } from 'node:net';
import { InvalidUrlError } from './errors.js';

export type Scheme = 'tcp' | 'tls' | 'udp' | 'ws' | 'wss' | 'http' | 'https';

/** Default port of each scheme: the tutorial's 65432 for raw streams, the web's for the rest. */
export const DEFAULT_PORTS: Readonly<Record<Scheme, number>> = {
  tcp: 65432,
  tls: 65433,
  udp: 65432,
  ws: 8080,
  wss: 8443,
  http: 8080,
  https: 8443,
};

export const SCHEMES = Object.keys(DEFAULT_PORTS) as Scheme[];

/** Where netecho serves when given no URL, and where `send` connects by default. */
export const DEFAULT_ENDPOINT = 'tcp://127.0.0.1:65432';

/** Where `netecho relay` listens when given no URL. */
export const DEFAULT_ENDPOINT_RELAY = 'ws://127.0.0.1:8765';

export interface Endpoint {
  readonly scheme: Scheme;
  /** Host name or IP address, without brackets. */
  readonly host: string;
  readonly port: number;
  /** Path and query for ws/http ("/" when absent); "" for the stream and datagram schemes. */
  readonly path: string;
}

export interface ParseEndpointOptions {
  /** Allow port 0 (pick a free port): true for serving, false for connecting. Default true. */
  allowPortZero?: boolean;
}

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/?#:[\]]*)(?::([^/?#]*))?([/?#].*)?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Parse an endpoint URL.
 * @throws InvalidUrlError (ERR_NETECHO_INVALID_URL) for a missing or unknown scheme, a bad host, or a port out of range.
 */
export function parseEndpoint(text: string, options: ParseEndpointOptions = {}): Endpoint {
  const allowPortZero = options.allowPortZero ?? true;
  const input = text.trim();
  if (input === '') throw new InvalidUrlError('invalid URL "": expected scheme://host:port, for example tcp://127.0.0.1:65432');
  if (!input.includes('://')) {
    throw new InvalidUrlError(
      `invalid URL "${text}": missing scheme (for example tcp://${input.replace(/^\/+/, '')})`,
    );
  }
  const match = URL_SHAPE.exec(input);
  if (!match) throw new InvalidUrlError(`invalid URL "${text}": expected scheme://host:port`);
  const scheme = (match[1] ?? '').toLowerCase();
  if (!(SCHEMES as string[]).includes(scheme)) {
    throw new InvalidUrlError(`invalid URL "${text}": unknown scheme "${match[1]}" (use ${SCHEMES.join(', ')})`);
  }
  const s = scheme as Scheme;

  let host = match[2] ?? '';
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw new InvalidUrlError(`invalid URL "${text}": "${host}" in brackets is not an IPv6 address`);
  } else if (host === '') {
    throw new InvalidUrlError(`invalid URL "${text}": missing host`);
  } else if (isIP(host) !== 4 && !HOSTNAME.test(host)) {
    throw new InvalidUrlError(`invalid URL "${text}": "${host}" is not a valid host name or IPv4 address`);
  } else if (/^[\d.]+$/.test(host) && isIP(host) !== 4) {
    throw new InvalidUrlError(`invalid URL "${text}": "${host}" is not a valid IPv4 address`);
  }

  let port = DEFAULT_PORTS[s];
  const portText = match[3];
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw new InvalidUrlError(`invalid URL "${text}": port "${portText}" is not a number from ${allowPortZero ? 0 : 1} to 65535`);
    }
    port = Number(portText);
  }
  if (port === 0 && !allowPortZero) {
    throw new InvalidUrlError(`invalid URL "${text}": port 0 cannot be connected to (use 1 to 65535)`);
  }

  const rest = match[4] ?? '';
  const isWeb = s === 'ws' || s === 'wss' || s === 'http' || s === 'https';
  if (!isWeb && rest !== '' && rest !== '/') {
    throw new InvalidUrlError(`invalid URL "${text}": ${s}:// takes no path or query`);
  }
  if (rest.startsWith('#') || rest.includes('#')) {
    throw new InvalidUrlError(`invalid URL "${text}": fragments (#) are not sent to servers`);
  }
  const path = isWeb ? (rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest) : '';
  return { scheme: s, host, port, path };
}

/** Format an endpoint back into its URL, brackets around IPv6 hosts. */
export function formatEndpoint(endpoint: Endpoint): string {
  const host = isIP(endpoint.host) === 6 ? `[${endpoint.host}]` : endpoint.host;
  const path = endpoint.path === '/' ? '' : endpoint.path;
  return `${endpoint.scheme}://${host}:${endpoint.port}${path}`;
}

/** host:port for messages, with brackets around IPv6 addresses. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
