/** Admission at TCP accept, shared by every connection-based transport. */
import type net from 'node:net';
import type { ListenerContext } from './transport.js';

export interface Admitted {
  id: number;
  remoteAddress: string;
  remotePort: number;
}

/**
 * Ask the server's limits to admit a freshly accepted socket. A refused one is reset at once, so the client
 * knows (rather than a silent empty echo); one already reset before we could look at it is just dropped.
 */
export function admitSocket(context: ListenerContext, transport: string, raw: net.Socket): Admitted | null {
  const remoteAddress = raw.remoteAddress;
  if (remoteAddress === undefined) {
    raw.destroy();
    return null;
  }
  const remotePort = raw.remotePort ?? 0;
  const id = context.admit(transport, remoteAddress, remotePort);
  if (id === null) {
    raw.resetAndDestroy();
    return null;
  }
  return { id, remoteAddress, remotePort };
}
