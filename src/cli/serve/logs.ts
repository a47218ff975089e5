/**
 * The services' log lines: one per connection opened and closed, refusals (rate-limited), the drain; serve adds
 * the access log, dropped datagrams and --dump; relay adds refused clients and joins.
 */
import type { Logger } from 'pino';
import type { CoreEvents, CoreStats } from '../../server/core.js';
import type { EchoServer, ServerStats } from '../../server/server.js';
import type { RelayServer, RelayStats } from '../../relay/server.js';
import type { TypedEmitter } from '../../typed-emitter.js';
import { formatDuration } from '../../units.js';

const REFUSAL_LINES_PER_SECOND = 20;

/** Closes forced by a limit are warnings: they are what an operator tunes. */
const WARN_REASONS: ReadonlySet<string> = new Set([
  'send-stall',
  'idle-timeout',
  'drain-deadline',
  'handshake-timeout',
  'heartbeat-timeout',
  'message-too-big',
  'slow-consumer',
  'rate-limited',
]);

export interface DumpSettings {
  /** text: the bytes as UTF-8, control characters escaped; hex: two hex digits a byte. */
  format: 'text' | 'hex';
  /** Shown bytes per chunk, message or datagram; the rest is counted, not shown. */
  max: number;
}

export function attachLogs(server: EchoServer, log: Logger, dump: DumpSettings | null = null): void {
  // Every HTTP reply, like a web server's access log (the path is escaped like all peer data).
  server.on('request', (r) =>
    log.info({ id: r.id, transport: r.transport, peer: peerOf(r.remoteAddress, r.remotePort), method: r.method, path: r.path, status: r.status, bytes: r.bytesOut, ms: Math.round(r.durationMs * 1000) / 1000 }, 'request'),
  );
  if (dump !== null) {
    server.on('data', (d) => {
      const shown = d.data.subarray(0, dump.max);
      const more = d.data.length - shown.length;
      const fields = {
        id: d.id,
        transport: d.transport,
        peer: peerOf(d.remoteAddress, d.remotePort),
        dir: 'in',
        kind: d.kind,
        bytes: d.data.length,
        ...(dump.format === 'hex' ? { hex: shown.toString('hex').replace(/(..)(?!$)/g, '$1 ') } : { text: shown.toString('utf8') }),
        ...(more > 0 && { truncated: more }),
      };
      log.info(fields, 'data');
    });
  }
  attachCoreLogs(server, log);
  const drops = lineLimiter(log, 'dropped datagram');
  server.on('dropped', (d) => drops.line({ peer: peerOf(d.remoteAddress, d.remotePort), reason: d.reason }));
  server.once('closed', () => drops.flush());
}

/** The relay's lines: the core's, refused clients (rate-limited), and joins and leaves at debug level. */
export function attachRelayLogs(server: RelayServer, log: Logger): void {
  attachCoreLogs(server, log);
  const denied = lineLimiter(log, 'denied');
  server.on('denied', (d) => denied.line({ reason: d.reason, transport: d.transport, detail: d.detail }));
  server.once('closed', () => denied.flush());
  // Once each way: the outage (rooms here keep working), and the way back with what was not carried meanwhile.
  server.on('broker', (b) => (b.state === 'down' ? log.error(b.detail) : log.info(b.detail)));
  if (log.isLevelEnabled('debug')) {
    server.on('join', (j) => log.debug({ id: j.id, name: j.name, room: j.room }, 'join'));
    server.on('leave', (j) => log.debug({ id: j.id, name: j.name, room: j.room }, 'leave'));
  }
}

/** What every server logs: connections opened and closed, refusals, the drain, warnings. */
function attachCoreLogs(server: TypedEmitter<CoreEvents>, log: Logger): void {
  if (log.isLevelEnabled('info')) {
    server.on('connection', (c) => log.info({ id: c.id, transport: c.transport, peer: peerOf(c.remoteAddress, c.remotePort) }, 'open'));
  }
  server.on('close', (c) => {
    const fields = {
      id: c.id,
      transport: c.transport,
      peer: peerOf(c.remoteAddress, c.remotePort),
      in: c.bytesIn,
      out: c.bytesOut,
      ms: Math.round(c.durationMs),
      reason: c.reason,
    };
    if (WARN_REASONS.has(c.reason)) log.warn(fields, 'close');
    else log.info(fields, 'close');
  });
  // A flood of refusals or dropped datagrams must not become a flood of log lines.
  const refusals = lineLimiter(log, 'refused');
  server.on('refused', (r) => refusals.line({ peer: peerOf(r.remoteAddress, r.remotePort), reason: r.reason }));
  server.once('closed', () => refusals.flush());
  server.on('deadline', (d) => log.warn(`drain deadline: finishing ${d.connections} connection(s)${d.flushMs > 0 ? `, closing them in ${formatDuration(d.flushMs)}` : ''}`));
  server.on('warning', (err) => log.warn({ code: (err as NodeJS.ErrnoException).code }, err.message));
}

/** The fields of the last line, "stopped": the counters that are not zero. */
export function stopFields(stats: ServerStats): Record<string, number> {
  const d = stats.datagrams;
  const datagrams = d.received > 0 ? { 'datagrams.received': d.received, 'datagrams.echoed': d.echoed, ...nonZero('datagrams.dropped', d.dropped) } : {};
  return { ...coreStopFields(stats), ...datagrams };
}

export function relayStopFields(stats: RelayStats): Record<string, number | string> {
  const m = stats.messages;
  return {
    ...coreStopFields(stats),
    'messages.received': m.received,
    'messages.published': m.published,
    ...(m.remote > 0 && { 'messages.remote': m.remote }),
    'messages.delivered': m.delivered,
    ...nonZero('messages.dropped', m.dropped),
    ...nonZero('denied', stats.denied),
    ...(stats.broker.state !== 'local' && { 'broker.reconnects': stats.broker.reconnects, 'broker.undelivered': stats.broker.undelivered }),
  };
}

function coreStopFields(stats: CoreStats): Record<string, number> {
  return { accepted: stats.accepted, ...nonZero('refused', stats.refused), ...nonZero('closed', stats.closed) };
}

/** At most REFUSAL_LINES_PER_SECOND warnings a second with `message`, then one line with the count left out. */
function lineLimiter(log: Logger, message: string): { line: (fields: object) => void; flush: () => void } {
  let windowStart = 0;
  let inWindow = 0;
  let suppressed = 0;
  const flush = (): void => {
    if (suppressed > 0) log.warn({ count: suppressed }, `${message} (lines suppressed in the last second)`);
    suppressed = 0;
  };
  return {
    line: (fields) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        flush();
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow <= REFUSAL_LINES_PER_SECOND) log.warn(fields, message);
      else suppressed++;
    },
    flush,
  };
}

/** { 'closed.client-closed': 5 } for the counters that are not zero: a short stop line. */
function nonZero(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => [`${prefix}.${k}`, n]));
}

function peerOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
