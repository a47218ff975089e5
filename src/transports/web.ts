/**
 * The echo's web listeners: http:// and https:// reflect each request as JSON (with CORS when asked) and echo
 * WebSocket messages on upgrade; ws:// and wss:// echo WebSocket messages, and a plain request gets 426.
 * The plumbing (admission, TLS, HTTP/2, timeouts, drain) is web-server.ts's.
 */
import type { Endpoint } from '../endpoint.js';
import { applyCors } from './cors.js';
import { reflect, sendJson } from './reflect.js';
import type { Listener, Transport, TransportContext } from './transport.js';
import { listenWebApp } from './web-server.js';
import { WebSocketEcho } from './websocket.js';

/** Listen for HTTP(S) reflection and WebSocket echo clients on `endpoint` (http, https, ws or wss). */
export const listenWeb: Transport = (endpoint: Endpoint, context: TransportContext): Promise<Listener> => {
  const scheme = endpoint.scheme;
  const reflects = scheme === 'http' || scheme === 'https';
  const h = context.settings.http;
  const webSockets = new WebSocketEcho(context, scheme);
  return listenWebApp(endpoint, context, {
    http2: reflects,
    request: (req, res, conn, done) => {
      if (reflects && h.cors !== null && applyCors(req, res, h.cors)) {
        req.resume();
        res.once('close', done);
        return;
      }
      if (!reflects) {
        req.resume();
        res.once('close', done);
        sendJson(res, 426, { error: 'this endpoint speaks WebSocket: connect with a WebSocket client' }, { Upgrade: 'websocket', Connection: 'Upgrade' });
        return;
      }
      reflect(req, res, scheme, h, done, context.settings.dump ? (body) => context.dump(conn, body, 'bytes') : undefined);
    },
    upgrade: (conn, req, socket, head) => webSockets.upgrade(conn, req, socket, head),
    close: () => webSockets.close(),
  });
};
