/**
 * What transports are given: the validated, numeric form of serve()'s options (server/options.ts turns the
 * user's options into these). Shared by every transport of one server.
 */

/** The limits shared by every transport. */
export interface ServerLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Whether the per-IP cap applies to loopback clients: only when it was asked for (docs/security.md). */
  readonly capLoopbackPerIp: boolean;
  /** Milliseconds; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Milliseconds; 0 = never. */
  readonly sendStallTimeoutMs: number;
  readonly maxQueuedBytes: number;
  readonly drainTimeoutMs: number;
}

export interface WebSocketSettings {
  readonly maxMessageBytes: number;
  readonly deflate: boolean;
  /** null = any origin. */
  readonly origins: readonly string[] | null;
  /** 0 = never. */
  readonly heartbeatMs: number;
}

export interface HttpSettings {
  readonly maxBodyBytes: number;
  readonly revealSecrets: boolean;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
  readonly maxDelayMs: number;
  /** CORS: '*' (any origin), one origin, or null (off). */
  readonly cors: string | null;
}

export interface UdpSettings {
  /** Datagrams per second per source address. */
  readonly ratePerSource: number;
}

/** Transport settings beyond the shared limits. TLS material is loaded separately (tls-material.ts). */
export interface TransportSettings {
  readonly describe: boolean;
  /** Report every chunk, message or datagram received (the server's 'data' event). */
  readonly dump: boolean;
  /** Serve the page at /.netecho/ on http(s) listeners. */
  readonly ui: boolean;
  readonly tlsHandshakeTimeoutMs: number;
  readonly websocket: WebSocketSettings;
  readonly http: HttpSettings;
  readonly udp: UdpSettings;
}
