/**
 * A relay bench member that speaks Socket.IO (Engine.IO 4 over one WebSocket, no polling): join by the handshake
 * query (?room=), send and receive "m" events. Written over `ws` like netecho's own members, so the client side
 * costs the same for every server compared.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import type { BenchMember, DialMember } from '../src/bench/relay/bench-relay.js';

const PREFIX = '42["m","';
const SUFFIX = '"]';

export async function dialSocketIo(o: DialMember): Promise<BenchMember> {
  const url = `ws://${o.endpoint.host}:${o.endpoint.port}/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(o.room)}`;
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: o.timeoutMs });
  let closing = false;
  let connected: (() => void) | null = null;
  ws.on('message', (data: Buffer) => {
    const kind = data[0];
    if (kind === 0x34 && data[1] === 0x32) {
      // 42["m","PAYLOAD"]: the payload is plain ASCII (no escapes).
      o.handlers.onMessage(data.subarray(PREFIX.length, data.length - SUFFIX.length));
    } else if (kind === 0x32) ws.send('3'); // ping: pong
    else if (kind === 0x30) ws.send('40'); // open: connect to the main namespace
    else if (kind === 0x34 && data[1] === 0x30) connected?.(); // 40{"sid":...}: in, and in its room
  });
  ws.on('close', () => {
    if (!closing) o.handlers.onClose();
  });
  ws.on('error', () => {});
  const ready = new Promise<void>((resolve) => (connected = resolve));
  await once(ws, 'open');
  await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`no Socket.IO connect from ${url}`)), o.timeoutMs).unref())]);
  return {
    get alive() {
      return ws.readyState === WebSocket.OPEN;
    },
    send: (data) => ws.send(`${PREFIX}${data.toString('latin1')}${SUFFIX}`),
    link: { cork() {}, uncork() {} },
    close: () => {
      closing = true;
      ws.terminate();
    },
  };
}
