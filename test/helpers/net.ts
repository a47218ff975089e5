/** Socket helpers for tests: every helper closes what it opens, and nothing waits on a timer for sync. */
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { serve, type EchoServer, type ServeOptions } from '../../src/index.js';

export interface TestServer {
  server: EchoServer;
  port: number;
  url: string;
}

/** Start an echo server on 127.0.0.1, port 0. Close it with server.destroy() or close(). */
export async function startServer(options: Omit<ServeOptions, 'listen'> & { listen?: string } = {}): Promise<TestServer> {
  const server = await serve({ listen: 'tcp://127.0.0.1:0', ...options });
  const url = server.addresses[0] ?? '';
  return { server, url, port: Number(url.slice(url.lastIndexOf(':') + 1)) };
}

export async function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Read until the peer ends the stream; resolves with everything received. */
export function readToEnd(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Read exactly n bytes. */
export function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        socket.removeListener('data', onData);
        socket.removeListener('error', reject);
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error(`stream ended after ${got} of ${n} bytes`)));
  });
}

/** Send data, half-close, and resolve with the whole echo. */
export async function echoOnce(port: number, data: Buffer): Promise<Buffer> {
  const socket = await connect(port);
  const reply = readToEnd(socket);
  socket.end(data);
  const result = await reply;
  socket.destroy();
  return result;
}

/** Resolves when the socket has closed (either side); handles errors. */
export function closed(socket: net.Socket): Promise<void> {
  socket.on('error', () => {});
  if (socket.closed) return Promise.resolve();
  socket.resume(); // an unread end of stream would never let it close
  if (socket.readableEnded) socket.end();
  else socket.once('end', () => socket.end()); // allowHalfOpen: close our side too
  return once(socket, 'close').then(() => undefined);
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Resolve when `predicate` holds, checking after each event-loop turn; fail after `limitMs`. */
export async function until(predicate: () => boolean, limitMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Connect and report how the attempt ended: 'open' with data echoed, or the error code / 'closed'. */
export function connectOutcome(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.once('close', () => resolve('closed'));
  });
}

export interface RawServer {
  port: number;
  url: string;
  close: () => Promise<void>;
}

/** A plain TCP server for negative cases (corrupting, silent, rude...); `handler` decides what each socket gets. */
export async function rawServer(handler: (s: net.Socket) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    handler(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `tcp://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
