/** WebSocket client options shared by send, sendStream and ping: what a server that is not netecho may require. */
import { InvalidArgumentError, invalidOption } from '../errors.js';
import { HTTP_TOKEN, parseHeaders, type HeaderLines } from '../headers.js';
import type { OptionShape } from '../option-shape.js';

export interface WebSocketClientOptions {
  /** Extra headers on the upgrade request (an object, or "Name: value" lines). */
  headers?: HeaderLines;
  /** The Origin header (servers with an origin allow-list refuse upgrades without the right one). */
  origin?: string;
  /** Subprotocols to offer (Sec-WebSocket-Protocol); the server picks one. */
  protocols?: string | readonly string[];
}

export const WEBSOCKET_CLIENT_SHAPE: OptionShape = { headers: 'headers', origin: 'string', protocols: 'strings' };

/** The checked form. */
export interface WebSocketClientSettings {
  headers: Record<string, string>;
  origin: string | undefined;
  protocols: string[];
}

/**
 * Check the options for `scheme` (they are for ws:// and wss:// only).
 * @throws ERR_NETECHO_INVALID_ARGUMENT naming the option
 */
export function resolveWebSocketClient(options: WebSocketClientOptions | undefined, scheme: string): WebSocketClientSettings | undefined {
  if (options === undefined) return undefined;
  if (scheme !== 'ws' && scheme !== 'wss') {
    const given = Object.keys(options).filter((k) => options[k as keyof WebSocketClientOptions] !== undefined);
    if (given.length > 0) throw new InvalidArgumentError([`websocket.${given[0]}`], (n) => `${n} is for ws:// and wss:// (not ${scheme}://)`);
    return undefined;
  }
  const protocols = options.protocols === undefined ? [] : typeof options.protocols === 'string' ? [options.protocols] : [...options.protocols];
  for (const p of protocols) if (!HTTP_TOKEN.test(p)) throw invalidOption('websocket.protocols', `"${p}" is not a subprotocol name`);
  if (new Set(protocols).size !== protocols.length) throw invalidOption('websocket.protocols', 'offered twice');
  if (options.origin !== undefined && /[\r\n\0]/.test(options.origin)) throw invalidOption('websocket.origin', 'contains a line break');
  return { headers: parseHeaders(options.headers, 'websocket.headers'), origin: options.origin, protocols };
}
