/** The record of transports by scheme: the one place a new transport is registered. */
import type { Scheme } from '../endpoint.js';
import { UnsupportedSchemeError } from '../errors.js';
import { listenTcp } from './tcp.js';
import { listenTls } from './tls.js';
import { listenUdp } from './udp.js';
import { listenWeb } from './web.js';
import type { Transport } from './transport.js';

const TRANSPORTS: Partial<Record<Scheme, Transport>> = {
  tcp: listenTcp,
  tls: listenTls,
  udp: listenUdp,
  ws: listenWeb,
  wss: listenWeb,
  http: listenWeb,
  https: listenWeb,
};

/** @throws UnsupportedSchemeError (ERR_NETECHO_UNSUPPORTED_SCHEME) for a scheme netecho cannot serve yet. */
export function transportFor(scheme: Scheme): Transport {
  const transport = TRANSPORTS[scheme];
  if (transport === undefined) {
    throw new UnsupportedSchemeError(`serving ${scheme}:// is not supported (supported: ${Object.keys(TRANSPORTS).join(', ')})`);
  }
  return transport;
}
