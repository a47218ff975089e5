/**
 * The UDP client: one datagram and its echo, with retries (UDP loses packets; a lost request and a lost reply
 * look the same), and ping over UDP where each probe uses its own socket, so a late reply can never be taken
 * for the answer to a later probe.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { resolveHost } from './connect.js';
import { AbortedError, invalidOption, TimeoutError, fromConnectError } from '../errors.js';

/** The largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP header bytes). */
export const MAX_DATAGRAM = 65_507;
export const DEFAULT_RETRIES = 2;

export interface UdpExchange {
  /** The reply's bytes. */
  echo: Buffer;
  /** Round trip of the attempt that was answered, in ms. */
  rttMs: number;
  /** Attempts made (1 + retries used). */
  attempts: number;
  /** Attempts that got no reply in time. */
  lost: number;
}

export function checkDatagram(payload: Buffer): void {
  if (payload.length > MAX_DATAGRAM) {
    throw invalidOption('message', `${payload.length} bytes is more than one UDP datagram can carry (${MAX_DATAGRAM})`);
  }
}

/**
 * A socket "connected" to the endpoint: the kernel then drops datagrams from anyone else.
 * @throws ERR_NETECHO_HOST_NOT_FOUND when the host does not resolve
 */
export async function openUdp(endpoint: Endpoint): Promise<dgram.Socket> {
  const target = formatEndpoint(endpoint);
  const { address, family } = await resolveHost(endpoint);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(fromConnectError(err, target));
    });
    socket.connect(endpoint.port, address, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/**
 * Send `payload` and wait up to `timeoutMs` for a reply; try again up to `retries` times.
 * @throws ERR_NETECHO_TIMEOUT when no attempt is answered; ERR_NETECHO_CONNECT_REFUSED when the host says the
 *   port is closed (ICMP port unreachable); ERR_NETECHO_ABORTED
 */
export async function exchangeUdp(
  endpoint: Endpoint,
  payload: Buffer,
  options: { timeoutMs: number; retries: number; signal?: AbortSignal | undefined },
): Promise<UdpExchange> {
  checkDatagram(payload);
  const target = formatEndpoint(endpoint);
  const socket = await openUdp(endpoint);
  const timeoutMs = options.timeoutMs > 0 ? options.timeoutMs : 5000;
  try {
    return await new Promise<UdpExchange>((resolve, reject) => {
      let attempts = 0;
      let sentAt = 0;
      let timer: NodeJS.Timeout | null = null;
      const done = (err: Error | null, value?: UdpExchange): void => {
        if (timer !== null) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.removeAllListeners('message');
        socket.removeAllListeners('error');
        if (err !== null) reject(err);
        else resolve(value as UdpExchange);
      };
      const onAbort = (): void => done(new AbortedError());
      const attempt = (): void => {
        if (attempts > options.retries) {
          done(new TimeoutError(`no reply from ${target} after ${attempts} datagram(s), ${timeoutMs} ms each (all lost)`));
          return;
        }
        attempts++;
        sentAt = performance.now();
        socket.send(payload);
        timer = setTimeout(attempt, timeoutMs);
      };
      socket.on('message', (msg: Buffer) => {
        done(null, { echo: msg, rttMs: performance.now() - sentAt, attempts, lost: attempts - 1 });
      });
      socket.on('error', (err) => done(fromConnectError(err, target)));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      attempt();
    });
  } finally {
    socket.close();
  }
}

/**
 * One ping probe over UDP on its own socket: resolves with the reply's round trip in ms, or null when none came
 * within `timeoutMs`; a refusal (ICMP port unreachable) rejects.
 */
export async function probeUdp(endpoint: Endpoint, payload: Buffer, timeoutMs: number): Promise<{ rttMs: number; echo: Buffer } | null> {
  const target = formatEndpoint(endpoint);
  const socket = await openUdp(endpoint);
  try {
    return await new Promise((resolve, reject) => {
      const sentAt = performance.now();
      const timer = setTimeout(() => resolve(null), timeoutMs > 0 ? timeoutMs : 5000);
      socket.once('message', (msg: Buffer) => {
        clearTimeout(timer);
        resolve({ rttMs: performance.now() - sentAt, echo: msg });
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(fromConnectError(err, target));
      });
      socket.send(payload);
    });
  } finally {
    socket.close();
  }
}
