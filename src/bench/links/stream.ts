/** TCP and TLS links: the client's dials; TCP reads through net's onread into the engine's shared buffer. */
import { dialTcp, dialTls } from '../../client/connect.js';
import type { Link, LinkOptions } from './link.js';

export function dialTcpLink(o: LinkOptions): Promise<Link> {
  return dialTcp(o.endpoint, {
    timeoutMs: o.timeoutMs,
    localAddress: o.localAddress,
    onread: {
      buffer: o.buffer,
      callback: (bytes: number, buf: Uint8Array) => {
        o.onEcho(buf as Buffer, bytes);
        return true;
      },
    },
  });
}

export async function dialTlsLink(o: LinkOptions): Promise<Link> {
  const socket = await dialTls(o.endpoint, { timeoutMs: o.timeoutMs, localAddress: o.localAddress, tls: o.tls });
  socket.on('data', (chunk: Buffer) => o.onEcho(chunk, chunk.length));
  return socket;
}
