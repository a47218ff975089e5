/**
 * The one table from library option names to the CLI's words. Library errors name options as data
 * (InvalidArgumentError.options); the CLI says them as the flags the user typed.
 */
import type { NetechoError } from '../errors.js';

/** Options whose flag is not simply --kebab-case of the option's last name. */
const FLAG_FOR_OPTION: Readonly<Record<string, string>> = {
  listen: 'URL',
  message: 'MESSAGE',
  'tls.handshakeTimeout': '--tls-handshake-timeout',
  'websocket.maxMessage': '--ws-max-message',
  'websocket.deflate': '--ws-deflate',
  'websocket.origins': '--origin',
  'websocket.heartbeat': '--ws-heartbeat',
  'websocket.headers': '-H',
  'websocket.origin': '--origin',
  'websocket.protocols': '--subprotocol',
  'http.maxBody': '--http-max-body',
  'http.headersTimeout': '--header-timeout',
  'udp.rate': '--udp-rate',
  method: '-X',
  headers: '-H',
  json: '--json-body',
};

/** The flag for a library option: "maxQueued" -> "--max-queued", "tls.clientCa" -> "--client-ca". */
export function flagFor(option: string): string {
  const flag = FLAG_FOR_OPTION[option];
  if (flag !== undefined) return flag;
  const last = option.slice(option.lastIndexOf('.') + 1);
  return `--${last.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A library error's message in the CLI's words: options named by their flags. */
export function messageInFlags(err: NetechoError): string {
  return err.messageWith(flagFor);
}
