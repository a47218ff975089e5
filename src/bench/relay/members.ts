/**
 * The relay bench's clients: a member of one room, over WebSocket (the room in the URL path) or lines (/join ROOM,
 * then one line per message). Each hands every message it receives to `onMessage`, and says when it closes.
 */
import type net from 'node:net';
import type WebSocket from 'ws';
import { connectWebSocket } from '../../client/channel.js';
import { connectStream } from '../../client/connect.js';
import type { ClientTlsOptions } from '../../client/tls-options.js';
import { formatEndpoint, type Endpoint } from '../../endpoint.js';
import { ProtocolError, TimeoutError } from '../../errors.js';

export interface BenchMember {
  readonly alive: boolean;
  /** Send one message (text). */
  send(data: Buffer): void;
  readonly link: { cork(): void; uncork(): void };
  close(): void;
}

export interface MemberHandlers {
  onMessage(data: Buffer): void;
  /** The server closed it (not us). */
  onClose(): void;
}

export interface DialMember {
  endpoint: Endpoint;
  room: string;
  timeoutMs: number;
  tls: ClientTlsOptions | undefined;
  handlers: MemberHandlers;
}

/** Join `room` at `endpoint`; resolves once the member is in (lines: the relay said so; WebSocket: it is open). */
export function dialMember(o: DialMember): Promise<BenchMember> {
  return o.endpoint.scheme === 'ws' || o.endpoint.scheme === 'wss' ? dialWs(o) : dialLines(o);
}

const NOOP_LINK = { cork(): void {}, uncork(): void {} };

async function dialWs(o: DialMember): Promise<BenchMember> {
  const base = o.endpoint.path.replace(/\/+$/, '');
  const ws: WebSocket = await connectWebSocket({ ...o.endpoint, path: `${base}/${encodeURIComponent(o.room)}` }, { timeoutMs: o.timeoutMs, tls: o.tls });
  let closing = false;
  ws.on('message', (data: Buffer) => o.handlers.onMessage(data));
  ws.on('close', () => {
    if (!closing) o.handlers.onClose();
  });
  ws.on('error', () => {});
  ws.resume();
  return {
    get alive() {
      return ws.readyState === ws.OPEN;
    },
    send: (data) => ws.send(data, { binary: false }),
    link: NOOP_LINK,
    close: () => {
      closing = true;
      ws.terminate();
    },
  };
}

async function dialLines(o: DialMember): Promise<BenchMember> {
  const socket: net.Socket = await connectStream(o.endpoint, { timeoutMs: o.timeoutMs, tls: o.tls });
  socket.setNoDelay(true);
  let closing = false;
  let joined: ((err: Error | null) => void) | null = null;
  const joinedLine = `* joined ${o.room}`;
  let rest: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    let buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const line = buf.subarray(start, nl);
      start = nl + 1;
      if (joined !== null) {
        const text = line.toString('utf8');
        if (text === joinedLine) joined(null);
        else if (text.startsWith('! ')) joined(new ProtocolError(`${formatEndpoint(o.endpoint)} refused /join ${o.room}: ${text.slice(2)}`));
        continue;
      }
      o.handlers.onMessage(line);
    }
    buf = buf.subarray(start);
    rest = buf.length > 0 ? Buffer.from(buf) : null;
  });
  socket.on('close', () => {
    if (!closing) o.handlers.onClose();
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new TimeoutError(`no "* joined ${o.room}" from ${formatEndpoint(o.endpoint)} within ${o.timeoutMs} ms`)), o.timeoutMs);
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      joined = null;
      if (err === null) resolve();
      else {
        socket.destroy();
        reject(err);
      }
    };
    joined = done;
    socket.write(`/join ${o.room}\n`);
  });
  const newline = Buffer.from('\n');
  return {
    get alive() {
      return !socket.destroyed;
    },
    send: (data) => {
      socket.write(data);
      socket.write(newline);
    },
    link: { cork: () => socket.cork(), uncork: () => socket.uncork() },
    close: () => {
      closing = true;
      socket.destroy();
    },
  };
}
