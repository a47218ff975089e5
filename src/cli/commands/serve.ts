/** `netecho serve [URL...]`: the echo service, with its logs and the drain on SIGINT/SIGTERM. */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_ENDPOINT } from '../../endpoint.js';
import { DEFAULT_LIMITS, resolveServeOptions, type ServeOptions } from '../../server/options.js';
import { serve, type EchoServer } from '../../server/server.js';
import { createLogger } from '../../telemetry/logger.js';
import { formatDuration, formatSize } from '../../units.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { countFlag, durationFlag, logSettings, sizeFlag, type LogFlags } from '../options.js';
import { runWorkers, isWorker, reportToPrimary, onPrimaryShutdown } from './serve-workers.js';

interface ServeFlags extends LogFlags {
  maxConnections?: string;
  maxConnectionsPerIp?: string;
  idleTimeout?: string;
  sendStallTimeout?: string;
  maxQueued?: string;
  drainTimeout?: string;
  workers?: string;
  json?: boolean;
}

const REFUSAL_LINES_PER_SECOND = 20;

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

export function registerServe(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const L = DEFAULT_LIMITS;
  program
    .command('serve')
    .summary('run the echo service')
    .description(
      `Echo every byte back to every client, on each URL given (default ${DEFAULT_ENDPOINT}).\n` +
        'Prints each listening URL on stdout (with the real port when asked for port 0); logs go to stderr.\n' +
        'SIGINT/SIGTERM: stop accepting, let open connections finish (up to --drain-timeout), then exit 0;\n' +
        'a second signal closes everything at once.',
    )
    .argument('[url...]', 'tcp://host:port to listen on; IPv6 in brackets, e.g. tcp://[::1]:7000')
    .option('--max-connections <n>', `open connections in total, more are reset (default ${L.maxConnections})`)
    .option('--max-connections-per-ip <n>', `open connections from one IP address (default ${L.maxConnectionsPerIp})`)
    .option('--idle-timeout <duration>', `close after no byte either way for this long; 0 = never (default ${formatDuration(L.idleTimeoutMs)})`)
    .option(
      '--send-stall-timeout <duration>',
      `close a client that stops reading its echo for this long; 0 = never (default ${formatDuration(L.sendStallTimeoutMs)})`,
    )
    .option('--max-queued <size>', `bytes queued for a client before reading from it pauses (default ${formatSize(L.maxQueuedBytes).replace(' ', '')})`)
    .option('--drain-timeout <duration>', `on SIGINT/SIGTERM, how long open connections may go on (default ${formatDuration(L.drainTimeoutMs)})`)
    .option('--workers <n>', 'processes sharing the listeners, for more cores (default 1)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (default info)')
    .option('--log-format <format>', 'text or json (default text)')
    .option('-q, --quiet', 'log warnings and errors only (same as --log-level warn)')
    .option('--json', 'print the listening URLs on stdout as one JSON object')
    .action((urls: string[], flags: ServeFlags) => setExit(runServe(urls, flags, io)));
}

function toServeOptions(urls: string[], flags: ServeFlags): ServeOptions {
  const options: ServeOptions = { listen: urls.length > 0 ? urls : DEFAULT_ENDPOINT };
  const set = <K extends keyof ServeOptions>(key: K, value: ServeOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('maxConnections', countFlag(flags.maxConnections, '--max-connections'));
  set('maxConnectionsPerIp', countFlag(flags.maxConnectionsPerIp, '--max-connections-per-ip'));
  set('idleTimeout', durationFlag(flags.idleTimeout, '--idle-timeout'));
  set('sendStallTimeout', durationFlag(flags.sendStallTimeout, '--send-stall-timeout'));
  set('maxQueued', sizeFlag(flags.maxQueued, '--max-queued'));
  set('drainTimeout', durationFlag(flags.drainTimeout, '--drain-timeout'));
  // Validate everything (URLs included) before any process forks or any socket opens.
  resolveServeOptions(options);
  return options;
}

async function runServe(urls: string[], flags: ServeFlags, io: CliIo): Promise<number> {
  const options = toServeOptions(urls, flags);
  const { level, format } = logSettings(flags);
  const workers = countFlag(flags.workers, '--workers') ?? 1;
  if (workers > 1 && !isWorker()) {
    const log = createLogger({ format, level, destination: io.stderr });
    return runWorkers(workers, log, io, Boolean(flags.json));
  }
  const log = createLogger({ format, level, destination: io.stderr, ...(isWorker() ? { base: { worker: process.pid } } : {}) });

  const server = await serve(options);
  attachLogs(server, log);
  const closed = new Promise<void>((resolve) => server.once('closed', resolve));

  // Handlers before the URL is printed: whoever reads it may signal at once.
  let forcedBy: string | null = null;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (isWorker()) return; // the primary decides; a worker ignores the terminal's Ctrl-C
    if (signals === 1) {
      // Close first, then say so: whoever reads the line may rely on new connections being refused.
      void server.close();
      log.warn(`${signal}: draining ${server.connections} connection(s), at most ${formatDuration(server.limits.drainTimeoutMs)}; signal again to close at once`);
    } else {
      forcedBy = signal;
      log.warn(`${signal}: closing all connections now`);
      void server.destroy();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (isWorker()) {
    reportToPrimary(server.addresses);
    onPrimaryShutdown((force) => (force ? void server.destroy() : void server.close()));
  } else {
    for (const url of server.addresses) log.info(`listening on ${url}`);
    io.stdout.write(flags.json ? `${JSON.stringify({ addresses: server.addresses })}\n` : server.addresses.map((a) => `${a}\n`).join(''));
  }

  await closed;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  const stats = server.stats;
  log.info({ accepted: stats.accepted, ...nonZero('refused', stats.refused), ...nonZero('closed', stats.closed) }, 'stopped');
  return forcedBy === null ? EXIT.OK : 128 + (SIGNAL_NUMBERS[forcedBy] ?? 0);
}

function attachLogs(server: EchoServer, log: Logger): void {
  if (log.isLevelEnabled('info')) {
    server.on('connection', (c) => log.info({ id: c.id, peer: peerOf(c.remoteAddress, c.remotePort) }, 'open'));
  }
  server.on('close', (c) => {
    const fields = {
      id: c.id,
      peer: peerOf(c.remoteAddress, c.remotePort),
      in: c.bytesIn,
      out: c.bytesOut,
      ms: Math.round(c.durationMs),
      reason: c.reason,
    };
    // A close forced by a limit is a warning: it is what an operator tunes.
    if (c.reason === 'send-stall' || c.reason === 'idle-timeout' || c.reason === 'drain-deadline') log.warn(fields, 'close');
    else log.info(fields, 'close');
  });
  // A flood of refusals must not become a flood of log lines: at most REFUSAL_LINES_PER_SECOND, then a count.
  let windowStart = 0;
  let inWindow = 0;
  let suppressed = 0;
  server.on('refused', (r) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (suppressed > 0) log.warn({ count: suppressed }, 'refused (lines suppressed in the last second)');
      windowStart = now;
      inWindow = 0;
      suppressed = 0;
    }
    if (++inWindow <= REFUSAL_LINES_PER_SECOND) log.warn({ peer: peerOf(r.remoteAddress, r.remotePort), reason: r.reason }, 'refused');
    else suppressed++;
  });
  server.once('closed', () => {
    if (suppressed > 0) log.warn({ count: suppressed }, 'refused (lines suppressed in the last second)');
  });
  server.on('deadline', (d) => log.warn(`drain deadline: finishing ${d.connections} connection(s)`));
  server.on('warning', (err) => log.warn({ code: (err as NodeJS.ErrnoException).code }, err.message));
}

/** { 'closed.client-closed': 5 } for the counters that are not zero: a short stop line. */
function nonZero(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => [`${prefix}.${k}`, n]));
}

function peerOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
