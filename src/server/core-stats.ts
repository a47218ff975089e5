/** The connection counters every server keeps (serve's and relay's stats start with these). */
import type { CloseReason, WebSocketCounters } from '../transports/transport.js';
import type { RefusalReason as LimitReason } from '../limits/connection-limiter.js';

export type RefusalReason = LimitReason | 'server-draining';

/** Connection counters every server keeps. */
export interface CoreStats {
  /** Connections admitted since start. */
  accepted: number;
  /** Connections refused, by reason. */
  refused: Record<RefusalReason, number>;
  /** Connections closed, by reason. */
  closed: Record<CloseReason, number>;
  /** The same, per transport ("tcp", "tls", "ws", "http"...), with bytes: only transports that have seen a connection. */
  transports: Record<string, TransportStats>;
  /** WebSocket messages received, and closes by close code ("1000", "1009"...). */
  websocket: WebSocketCounters;
}

/** One transport's connection counters. Bytes: of the connections closed, and so far of those open. */
export interface TransportStats {
  accepted: number;
  /** Open now. */
  open: number;
  refused: Partial<Record<RefusalReason, number>>;
  closed: Partial<Record<CloseReason, number>>;
  bytesIn: number;
  bytesOut: number;
}

export function newCoreStats(): CoreStats {
  return {
    transports: {},
    websocket: { messages: 0, closes: {} },
    accepted: 0,
    refused: { 'max-connections': 0, 'max-connections-per-ip': 0, 'server-draining': 0 },
    closed: {
      'client-closed': 0,
      'client-reset': 0,
      'idle-timeout': 0,
      'send-stall': 0,
      'drain-deadline': 0,
      'server-closing': 0,
      'server-destroyed': 0,
      'handshake-failed': 0,
      'handshake-timeout': 0,
      'message-too-big': 0,
      'protocol-error': 0,
      'heartbeat-timeout': 0,
      'auth-failed': 0,
      'slow-consumer': 0,
      'rate-limited': 0,
      error: 0,
    },
  };
}
