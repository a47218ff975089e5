/**
 * relay(): start a relay on its listeners. WebSocket (ws, wss, and upgrades on http, https) and line (tcp, tls)
 * clients share the same rooms; with `redis`, so do other instances.
 */
import { loadTlsMaterial } from '../transports/tls-material.js';
import { kListen, type ListenPlan } from '../server/core.js';
import { SECURE_SCHEMES } from '../server/options.js';
import { LocalBroker, type Broker, type BrokerSink } from './broker.js';
import { MemoryHistory } from './history.js';
import type { RelayContext } from './hub.js';
import { listenRelayLines } from './line.js';
import { RedisBroker } from './redis-broker.js';
import { resolveRelayOptions, type RelayOptions } from './options.js';
import { RelayServer, kRelayContext } from './server.js';
import { listenRelayWeb } from './ws.js';

/** How long connecting to Redis may take at start. */
const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Start a relay. Resolves once every listener is listening.
 *
 * ```ts
 * const relay = await relay({ listen: 'ws://127.0.0.1:0' });
 * // ws://127.0.0.1:PORT/lobby: every message to the room goes to its other members
 * await relay.close();
 * ```
 * @throws ERR_NETECHO_INVALID_ARGUMENT / ERR_NETECHO_INVALID_URL / ERR_NETECHO_UNSUPPORTED_SCHEME for bad options
 *   (before anything listens); ERR_NETECHO_ADDRESS_IN_USE and the other listen errors (the others are closed again)
 */
export function relay(options: RelayOptions = {}): Promise<RelayServer> {
  return startRelay(options, null);
}

/**
 * relay() with another way to share rooms than Redis (relay --workers: through the primary process); not part of
 * the package's API.
 */
export async function startRelay(options: RelayOptions, shared: ((sink: BrokerSink) => Broker) | null): Promise<RelayServer> {
  const { endpoints, limits, settings, relay: r } = resolveRelayOptions(options);
  const tls = endpoints.some((e) => SECURE_SCHEMES.has(e.scheme)) ? await loadTlsMaterial(options.tls ?? {}, endpoints) : null;
  const history = new MemoryHistory(r.history, r.historyTtlMs, r.historyMaxBytes);
  let redis: RedisBroker | null = null;
  const server: RelayServer = new RelayServer(limits, settings, tls, r, (sink): Broker => {
    if (r.redis === null) return shared === null ? new LocalBroker(history) : shared(sink);
    redis = new RedisBroker(sink, {
      url: r.redis,
      optional: r.redisOptional,
      nodeId: sink.nodeId,
      history: r.history,
      historyTtlMs: r.historyTtlMs,
      historyMaxBytes: r.historyMaxBytes,
      connectTimeoutMs: REDIS_CONNECT_TIMEOUT_MS,
    });
    return redis;
  });
  const plan: Array<ListenPlan<RelayContext>> = endpoints.map((endpoint) => ({
    endpoint,
    listen: endpoint.scheme === 'tcp' || endpoint.scheme === 'tls' ? listenRelayLines : listenRelayWeb,
  }));
  try {
    // Redis first: a relay that cannot share its rooms as asked does not start.
    if (redis !== null) await (redis as RedisBroker).start();
    await server[kListen](plan, server[kRelayContext]);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}
