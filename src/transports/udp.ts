/**
 * UDP echo, as in RFC 862: each datagram is sent back to its source, with the protections in docs/security.md
 * against being used as a reflector:
 * - the reply is the request's bytes exactly, so never larger than the request;
 * - no reply to source ports below 1024 (echo 7 / chargen 19 loops, CERT CA-1996-01) or to port 0;
 * - no reply to multicast, broadcast or unspecified source addresses;
 * - a per-source packet-rate cap (udp.rate per second, token bucket).
 * Node's dgram does not tell which local address a datagram was sent to, so a datagram sent *to* a subnet
 * broadcast address of a 0.0.0.0 listener cannot be told apart; SO_BROADCAST stays off, so netecho never
 * sends to a broadcast address, and it joins no multicast group. Bind to a unicast address to be sure.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromListenError } from '../errors.js';
import { RateLimiter } from '../limits/rate-limiter.js';
import type { Listener, Transport, TransportContext } from './transport.js';

/** Below this source port, datagrams are not answered (well-known services that may answer back). */
export const MIN_SOURCE_PORT = 1024;

/** Subnet broadcast addresses of this machine's IPv4 interfaces. */
function localBroadcasts(): Set<string> {
  const out = new Set<string>(['255.255.255.255']);
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const ip = a.address.split('.').map(Number);
      const mask = a.netmask.split('.').map(Number);
      out.add(ip.map((o, i) => (o & (mask[i] ?? 0)) | (~(mask[i] ?? 0) & 255)).join('.'));
    }
  }
  return out;
}

/** Multicast, broadcast or unspecified: never a real single sender. */
export function isGroupAddress(address: string, broadcasts: ReadonlySet<string>): boolean {
  const v = isIP(address);
  if (v === 4) {
    const first = Number(address.slice(0, address.indexOf('.')));
    return first >= 224 || address === '0.0.0.0' || broadcasts.has(address);
  }
  if (v === 6) {
    const lower = address.toLowerCase();
    if (lower.startsWith('::ffff:')) return isGroupAddress(lower.slice(7), broadcasts);
    return lower.startsWith('ff') || lower === '::';
  }
  return true;
}

export const listenUdp: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const target = formatEndpoint(endpoint);
  const socket = dgram.createSocket({ type: isIP(endpoint.host) === 6 ? 'udp6' : 'udp4' });
  const limiter = new RateLimiter(context.settings.udp.ratePerSource);
  const broadcasts = localBroadcasts();

  socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    const { address, port } = rinfo;
    if (context.draining()) return context.datagram('draining', address, port, msg.length);
    if (port < MIN_SOURCE_PORT) return context.datagram('low-port', address, port, msg.length);
    if (isGroupAddress(address, broadcasts)) return context.datagram('broadcast', address, port, msg.length);
    if (!limiter.take(address)) return context.datagram('rate-limited', address, port, msg.length);
    if (context.settings.dump) context.dump({ id: 0, transport: 'udp', remoteAddress: address, remotePort: port }, msg, 'datagram');
    socket.send(msg, port, address, (err) => context.datagram(err ? 'send-failed' : 'echoed', address, port, msg.length));
  });

  return new Promise((resolve, reject) => {
    const onStartError = (err: Error): void => {
      limiter.stop();
      socket.close();
      reject(fromListenError(err, target));
    };
    socket.once('error', onStartError);
    // Not exclusive: under `serve --workers` the cluster primary binds once and shares the socket.
    socket.bind({ address: endpoint.host, port: endpoint.port }, () => {
      socket.removeListener('error', onStartError);
      socket.on('error', (err) => context.warn(err));
      const address = socket.address();
      let closed = false;
      resolve({
        url: formatEndpoint({ scheme: 'udp', host: address.address, port: address.port, path: '' }),
        close: () =>
          new Promise<void>((done) => {
            if (closed) return done();
            closed = true;
            limiter.stop();
            socket.close(() => done());
          }),
      });
    });
  });
};
