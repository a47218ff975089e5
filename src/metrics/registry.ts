/**
 * Prometheus metrics for a server, built with prom-client. Every netecho metric is read from `server.stats` when
 * it is scraped (collect callbacks), so the two can never disagree: there is no second bookkeeping. Names follow
 * Prometheus conventions (`_total` for counters, `_bytes`, base units); labels carry the transport and the reason.
 * Node's process metrics (CPU, memory, handles, GC, event-loop lag) come from prom-client's defaults.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { requireOnFirstUse } from '../require-on-first-use.js';
import type { CoreStats } from '../server/core.js';
import type { ServerStats } from '../server/server.js';
import type { RelayStats } from '../relay/server.js';

/** What metrics need of a server: serve()'s EchoServer and relay()'s RelayServer both are one. */
export interface MetricsSource {
  readonly stats: CoreStats | ServerStats | RelayStats;
}

export interface MetricsOptions {
  /** Also Node's process metrics (process_*, nodejs_*, with event-loop lag). Default true. */
  defaultMetrics?: boolean;
}

type Labels = Record<string, string>;
type Series = Array<[Labels, number]>;

const BROKER_STATES = ['local', 'connecting', 'ready', 'down'] as const;

/** prom-client, loaded on first use: a server without metrics never loads it. */
export const promClient = requireOnFirstUse<typeof import('prom-client')>('prom-client');

/** A registry whose metrics are read from `server.stats` at each scrape. */
export function createMetrics(server: MetricsSource, options: MetricsOptions = {}): Registry {
  const { Counter, Gauge, Registry, collectDefaultMetrics } = promClient();
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (promtool's lint refuses them); nodejs_active_handles{type} etc. say the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const define: Define = (kind, name, help, labelNames, read) => {
    const collect = function (this: Counter | Gauge): void {
      const series = read(server.stats);
      this.reset();
      for (const [labels, value] of series) {
        if (this instanceof Counter) this.inc(labels, value);
        else this.set(labels, value);
      }
    };
    if (kind === 'counter') new Counter({ name, help, labelNames, registers: [registry], collect });
    else new Gauge({ name, help, labelNames, registers: [registry], collect });
  };
  const perTransport = (s: MetricsSource['stats'], pick: (t: CoreStats['transports'][string]) => number): Series =>
    Object.entries(s.transports).map(([transport, t]) => [{ transport }, pick(t)]);
  const perTransportReason = (s: MetricsSource['stats'], pick: (t: CoreStats['transports'][string]) => Partial<Record<string, number>>): Series =>
    Object.entries(s.transports).flatMap(([transport, t]) => Object.entries(pick(t)).map(([reason, n]): [Labels, number] => [{ transport, reason }, n ?? 0]));

  define('counter', 'netecho_connections_accepted_total', 'Connections admitted, per transport.', ['transport'], (s) => perTransport(s, (t) => t.accepted));
  define('counter', 'netecho_connections_refused_total', 'Connections refused by a limit, per transport and reason.', ['transport', 'reason'], (s) => perTransportReason(s, (t) => t.refused));
  define('counter', 'netecho_connections_closed_total', 'Connections closed, per transport and reason.', ['transport', 'reason'], (s) => perTransportReason(s, (t) => t.closed));
  define('counter', 'netecho_websocket_messages_received_total', 'WebSocket messages received.', [], (s) => [[{}, s.websocket.messages]]);
  define('counter', 'netecho_websocket_closes_total', 'WebSocket connections closed, by close code.', ['code'], (s) => byKey(s.websocket.closes, 'code'));
  define('gauge', 'netecho_connections_open', 'Connections open now, per transport.', ['transport'], (s) => perTransport(s, (t) => t.open));
  define('counter', 'netecho_received_bytes_total', 'Bytes received on connections: the closed ones, and the open ones so far.', ['transport'], (s) => perTransport(s, (t) => t.bytesIn));
  define('counter', 'netecho_sent_bytes_total', 'Bytes sent on connections: the closed ones, and the open ones so far.', ['transport'], (s) => perTransport(s, (t) => t.bytesOut));

  const kind = server.stats;
  // A server's kind does not change: the metrics of its kind only, read without checking it again at each scrape.
  if ('datagrams' in kind) echoMetrics(define as Define<ServerStats>);
  if ('messages' in kind) relayMetrics(define as Define<RelayStats>);
  return registry;
}

/** Registers one metric whose series are read from the stats at each scrape. */
type Define<S = MetricsSource['stats']> = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], read: (stats: S) => Series) => void;

const byKey = (record: Record<string, number>, label: string): Series => Object.entries(record).map(([k, n]) => [{ [label]: k }, n]);

/** serve(): datagrams and HTTP replies (registered only for a server whose stats have them). */
function echoMetrics(define: Define<ServerStats>): void {
  define('counter', 'netecho_udp_datagrams_received_total', 'UDP datagrams received.', [], (s) => [[{}, s.datagrams.received]]);
  define('counter', 'netecho_udp_datagrams_echoed_total', 'UDP datagrams answered.', [], (s) => [[{}, s.datagrams.echoed]]);
  define('counter', 'netecho_udp_echoed_bytes_total', 'Bytes of the UDP datagrams answered.', [], (s) => [[{}, s.datagrams.bytes]]);
  define('counter', 'netecho_udp_datagrams_dropped_total', 'UDP datagrams not answered, by reason.', ['reason'], (s) => byKey(s.datagrams.dropped, 'reason'));
  define('counter', 'netecho_http_replies_total', 'HTTP replies to requests (reflections and refusals), by status code.', ['status'], (s) => byKey(s.http.replies, 'status'));
}

/** relay(): rooms, messages, refusals, history, the link to other instances (registered only for a relay). */
function relayMetrics(define: Define<RelayStats>): void {
  const one = (name: string, help: string, kind: 'counter' | 'gauge', pick: (r: RelayStats) => number): void => define(kind, name, help, [], (r) => [[{}, pick(r)]]);
  one('netecho_relay_rooms', 'Rooms with members on this instance.', 'gauge', (r) => r.rooms);
  one('netecho_relay_members', 'Room memberships on this instance.', 'gauge', (r) => r.members);
  one('netecho_relay_messages_received_total', 'Messages clients sent to this instance.', 'counter', (r) => r.messages.received);
  one('netecho_relay_messages_published_total', 'Messages published to a room from this instance.', 'counter', (r) => r.messages.published);
  one('netecho_relay_messages_remote_total', 'Messages published on other instances and delivered here.', 'counter', (r) => r.messages.remote);
  one('netecho_relay_deliveries_total', 'Deliveries to members here (one message to 100 members is 100).', 'counter', (r) => r.messages.delivered);
  define('counter', 'netecho_relay_messages_dropped_total', 'Messages not published or not delivered, by reason.', ['reason'], (r) => byKey(r.messages.dropped, 'reason'));
  define('counter', 'netecho_relay_denied_total', 'Clients or joins refused, by reason.', ['reason'], (r) => byKey(r.denied, 'reason'));
  one('netecho_relay_history_messages', 'Messages kept for recovery on this instance (memory; Redis keeps its own).', 'gauge', (r) => r.broker.history.messages);
  one('netecho_relay_history_bytes', 'Bytes of the messages kept for recovery on this instance.', 'gauge', (r) => r.broker.history.bytes);
  define('gauge', 'netecho_relay_broker_state', 'The link to other instances: 1 for its state now (local: no Redis).', ['state'], (r) =>
    BROKER_STATES.map((state): [Labels, number] => [{ state }, r.broker.state === state ? 1 : 0]),
  );
  one('netecho_relay_broker_reconnects_total', 'Times the link to Redis came back after it was lost.', 'counter', (r) => r.broker.reconnects);
  one('netecho_relay_broker_undelivered_total', 'Messages published here that could not be carried to other instances.', 'counter', (r) => r.broker.undelivered);
}
