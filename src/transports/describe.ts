/**
 * One shape for "what do you see of me": the first line of a stream connection with --describe, and the
 * client/server/tls part of the HTTP reflection use the same field names.
 */
import { hostname } from 'node:os';
import type net from 'node:net';
import type tls from 'node:tls';

export interface Address {
  address: string;
  port: number;
}

export interface TlsDescription {
  /** "TLSv1.3", "TLSv1.2". */
  protocol: string | null;
  /** OpenSSL cipher name. */
  cipher: string | null;
  /** The ALPN protocol agreed, or null. */
  alpn: string | null;
  /** The server name the client asked for (SNI), or null. */
  sni: string | null;
  /** The client's certificate (mutual TLS), or null when it sent none. */
  clientCertificate: { subject: string; issuer: string; fingerprint256: string } | null;
}

export interface ConnectionDescription {
  transport: string;
  client: Address;
  server: Address & { hostname: string };
  tls: TlsDescription | null;
}

/**
 * The TCP socket under a socket: for a server-side TLS socket, the one it wraps (Node keeps it as `_parent`,
 * stable since Node 0.x); for a plain socket, itself. Its addresses and byte counters are the connection's.
 */
export function tcpSocketOf<T extends net.Socket>(socket: net.Socket): T {
  return ((socket as net.Socket & { _parent?: net.Socket })._parent ?? socket) as T;
}

/** For `socket` (a TLS socket or a plain one): the description, with TLS details when it is TLS. */
/** os.hostname() is a system call: read it at most once a second (every reflected request shows it). */
let cachedHostname = { name: '', at: -Infinity };
function currentHostname(): string {
  const now = performance.now();
  if (now - cachedHostname.at > 1000) cachedHostname = { name: hostname(), at: now };
  return cachedHostname.name;
}

export function describeSocket(transport: string, socket: net.Socket): ConnectionDescription {
  const wire = tcpSocketOf(socket);
  return describeConnection(transport, wire, wire === socket ? undefined : (socket as tls.TLSSocket));
}

export function describeConnection(transport: string, socket: net.Socket, tlsSocket?: tls.TLSSocket): ConnectionDescription {
  return {
    transport,
    client: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    server: { address: socket.localAddress ?? '', port: socket.localPort ?? 0, hostname: currentHostname() },
    tls: tlsSocket === undefined ? null : describeTls(tlsSocket),
  };
}

export function describeTls(socket: tls.TLSSocket): TlsDescription {
  const peer = socket.getPeerCertificate();
  const hasCert = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
  const servername = (socket as tls.TLSSocket & { servername?: string | false }).servername;
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    sni: typeof servername === 'string' ? servername : null,
    clientCertificate: hasCert
      ? { subject: distinguishedName(peer.subject), issuer: distinguishedName(peer.issuer), fingerprint256: peer.fingerprint256 }
      : null,
  };
}

/** {CN: 'a', O: 'b'} -> "CN=a, O=b" (values may be arrays when a field repeats). */
function distinguishedName(name: tls.PeerCertificate['subject'] | undefined): string {
  if (name === undefined || name === null) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}
