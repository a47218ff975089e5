/** The one place the bench engine's transport is chosen by scheme. */
import { dialHttpLink } from './http.js';
import type { Link, LinkOptions } from './link.js';
import { dialTcpLink, dialTlsLink } from './stream.js';
import { dialUdpLink } from './udp.js';
import { dialWsLink } from './ws.js';

/** Open one link to `o.endpoint`, by its scheme. */
export function dialLink(o: LinkOptions): Promise<Link> {
  switch (o.endpoint.scheme) {
    case 'tcp':
      return dialTcpLink(o);
    case 'tls':
      return dialTlsLink(o);
    case 'ws':
    case 'wss':
      return dialWsLink(o);
    case 'udp':
      return dialUdpLink(o);
    case 'http':
    case 'https':
      return dialHttpLink(o);
  }
}
