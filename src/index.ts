/** netecho's public API: re-exports only. */
export { serve, EchoServer } from './server/server.js';
export type { ServerEvents, ServerStats, RefusalInfo, RefusalReason, CloseOptions } from './server/server.js';
export { DEFAULT_LIMITS } from './server/options.js';
export type { ServeOptions, ServerLimits, TlsServeOptions, WebSocketServeOptions, HttpServeOptions, UdpServeOptions } from './server/options.js';
export type { CloseInfo, CloseReason, PeerInfo, DatagramOutcome, DataInfo, DataKind, RequestInfo } from './transports/transport.js';
export type { DroppedInfo, DropReason } from './server/server.js';
export type { ConnectionDescription, TlsDescription } from './transports/describe.js';
export type { Reflection } from './transports/reflect.js';
export type { ClientTlsOptions } from './client/tls-options.js';

export { send } from './client/send.js';
export type { SendOptions, SendResult } from './client/send.js';
export { sendStream } from './client/stream.js';
export type { StreamOptions, StreamResult } from './client/stream.js';
export { ping } from './client/ping.js';
export type { PingOptions, PingReply, PingSummary, RttStats } from './client/ping.js';

export { parseEndpoint, formatEndpoint, DEFAULT_ENDPOINT, DEFAULT_PORTS, SCHEMES } from './endpoint.js';
export type { Endpoint, Scheme } from './endpoint.js';
export { parseDuration, parseSize } from './units.js';
export type { Duration, Size } from './units.js';
export * from './errors.js';

export { bench } from './bench/bench.js';
export type { BenchHooks } from './bench/bench.js';
export type { BenchOptions, BenchMode } from './bench/options.js';
export type { BenchResult, TimelinePoint } from './bench/result.js';
export type { LatencySummary } from './bench/histogram.js';
export type { TickInfo } from './bench/engine.js';
export { benchRelay } from './bench/relay/bench-relay.js';
export { renderReport as benchReport } from './bench/report/html.js';
export type { ReportOptions } from './bench/report/html.js';
export type { RelayBenchHooks, BenchMember, DialMember, MemberHandlers } from './bench/relay/bench-relay.js';
export type { RelayBenchOptions } from './bench/relay/options.js';
export type { RelayBenchResult } from './bench/relay/result.js';

export { get, request } from './http-client/request.js';
export type { GetResponse, Hop } from './http-client/request.js';
export type { GetOptions, RetryInfo } from './http-client/options.js';
export type { Timing } from './http-client/timing.js';

export { relay } from './relay/relay.js';
export { RelayServer } from './relay/server.js';
export type { RelayEvents, RelayStats, RelayDropReason, RelayRefusal } from './relay/server.js';
export type { RelayOptions, SlowConsumerPolicy } from './relay/options.js';
export type { Notice } from './relay/envelope.js';
export { chat, ChatSession } from './client/chat.js';
export { createMetrics } from './metrics/registry.js';
export type { MetricsOptions, MetricsSource } from './metrics/registry.js';
export { serveMetrics } from './metrics/endpoint.js';
export type { MetricsEndpoint } from './metrics/endpoint.js';
export type { ChatOptions, ChatEvent, ChatEvents } from './client/chat.js';
