/** `netecho serve [URL...]`: the echo service, with its logs and the drain on SIGINT/SIGTERM. */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_ENDPOINT } from '../../endpoint.js';
import { InvalidArgumentError } from '../../errors.js';
import { certificateFor } from '../../server/certificate.js';
import { DEFAULT_LIMITS, DEFAULT_SETTINGS, type ServeOptions } from '../../server/options.js';
import { serve } from '../../server/server.js';
import { createLogger } from '../../telemetry/logger.js';
import { formatDuration, formatSize, parseSize } from '../../units.js';
import type { CliIo } from '../io.js';
import { logSettings } from '../options.js';
import { attachLogs, stopFields, type DumpSettings } from '../serve/logs.js';
import { runService } from '../serve/run.js';
import {
  addConnectionFlags,
  addServiceLogFlags,
  addTlsServerFlags,
  addWebSocketServerFlags,
  serviceOptions,
  workersFlag,
  metricsFlag,
  type ServiceFlags,
} from '../serve/service-flags.js';
import { runAsPrimary, runAsWorker } from '../serve/cluster-run.js';
import { isWorker, withPrimaryTls } from '../serve/worker.js';

interface ServeFlags extends ServiceFlags {
  maxQueued?: string;
  describe?: boolean;
  wsMaxMessage?: string;
  httpMaxBody?: string;
  revealSecrets?: boolean;
  headerTimeout?: string;
  requestTimeout?: string;
  maxHeaders?: string;
  maxHeaderSize?: string;
  maxDelay?: string;
  udpRate?: string;
  dump?: string;
  dumpMax?: string;
  cors?: boolean | string;
}

export function registerServe(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const L = DEFAULT_LIMITS;
  const S = DEFAULT_SETTINGS;
  const size = (n: number): string => formatSize(n).replace(' ', '');
  const cmd = program
    .command('serve')
    .summary('run the echo service')
    .description(
      `Echo every byte back to every client, on each URL given (default ${DEFAULT_ENDPOINT}). ` +
        'Prints each listening URL on stdout (with the real port when asked for port 0); logs go to stderr.\n\n' +
        'Schemes: tcp:// and tls:// (byte streams), udp:// (datagrams, RFC 862), ws:// and wss:// (WebSocket ' +
        'messages), http:// and https:// (a JSON reflection of each request, and WebSocket echo on upgrade).\n\n' +
        'SIGINT/SIGTERM: stop accepting, let open connections go on until their clients close or --drain-timeout ' +
        'passes, then exit 0. The process exits by the deadline: in its last 2 s (a quarter of a shorter drain) ' +
        'connections still open are finished (what was read is written back), and whatever is open at the ' +
        'deadline is closed. A second signal closes everything at once.',
    )
    .argument('[url...]', 'scheme://host:port to listen on, e.g. tcp://127.0.0.1:65432 http://[::1]:8080');
  addConnectionFlags(cmd, 'its echo');
  cmd
    .option('--max-queued <size>', `bytes queued for a client before reading from it pauses (default ${formatSize(L.maxQueuedBytes).replace(' ', '')})`)
    .option('--describe', 'tcp/tls/ws: first send one line of JSON about the connection (peer, TLS details)');
  addTlsServerFlags(cmd);
  cmd.option('--ws-max-message <size>', `largest WebSocket message; bigger closes with 1009 (default ${size(S.websocket.maxMessageBytes)})`);
  addWebSocketServerFlags(cmd);
  cmd
    .option('--http-max-body <size>', `largest request body reflected, 413 beyond (default ${size(S.http.maxBodyBytes)})`)
    .option('--reveal-secrets', 'show Authorization, Cookie and Proxy-Authorization in reflections instead of [redacted]')
    .option('--header-timeout <duration>', `time to receive request headers (default ${formatDuration(S.http.headersTimeoutMs)})`)
    .option('--request-timeout <duration>', `time to receive a whole request (default ${formatDuration(S.http.requestTimeoutMs)})`)
    .option('--max-headers <n>', `headers per request, 431 beyond (default ${S.http.maxHeaders})`)
    .option('--max-header-size <size>', `bytes of headers per request, 431 beyond (default ${size(S.http.maxHeaderBytes)})`)
    .option('--max-delay <duration>', `cap on the ?delay= control (default ${formatDuration(S.http.maxDelayMs)})`)
    .option('--cors [origin]', 'http/https: let pages on ORIGIN (any origin without one) read the reflection; preflights answered')
    .option('--udp-rate <n>', `datagrams per second answered per source address (default ${S.udp.ratePerSource})`)
    .option('--dump <format>', 'log everything received, each chunk, message or datagram on a line: text (UTF-8, controls escaped) or hex')
    .option('--dump-max <size>', `bytes shown per chunk with --dump; the rest is counted (default ${DEFAULT_DUMP_MAX})`);
  addServiceLogFlags(cmd);
  cmd.action((urls: string[], flags: ServeFlags) => setExit(runServe(urls, flags, io)));
}

/** The flags as serve() options, as typed: the library validates them (once) and names what is wrong. */
function toServeOptions(urls: string[], flags: ServeFlags): ServeOptions {
  const shared = serviceOptions(flags);
  return {
    ...shared,
    listen: urls.length > 0 ? urls : DEFAULT_ENDPOINT,
    maxQueued: flags.maxQueued,
    describe: flags.describe,
    websocket: { ...shared.websocket, maxMessage: flags.wsMaxMessage },
    http: {
      maxBody: flags.httpMaxBody,
      revealSecrets: flags.revealSecrets,
      headersTimeout: flags.headerTimeout,
      requestTimeout: flags.requestTimeout,
      maxHeaders: flags.maxHeaders,
      maxHeaderSize: flags.maxHeaderSize,
      maxDelay: flags.maxDelay,
      cors: flags.cors,
    },
    udp: { rate: flags.udpRate },
  };
}

async function runServe(urls: string[], flags: ServeFlags, io: CliIo): Promise<number> {
  const options = toServeOptions(urls, flags);
  const { level, format } = logSettings(flags);
  const workers = workersFlag(flags.workers);
  const json = Boolean(flags.json);
  const dump = dumpFlags(flags);
  const metrics = metricsFlag(flags.metrics);
  if (dump !== null) options.dump = true;
  if (isWorker()) {
    return runWorker(withPrimaryTls(options), createLogger({ format, level, destination: io.stderr, base: { worker: process.pid } }), dump, metrics !== undefined);
  }
  const log = createLogger({ format, level, destination: io.stderr });
  return workers > 1 ? runPrimary(options, workers, log, flags.certOut, io, json, metrics) : runSingle(options, log, dump, flags.certOut, io, json, metrics);
}

/** --dump text|hex and --dump-max SIZE (default 256 bytes shown per chunk, message or datagram). */
function dumpFlags(flags: ServeFlags): DumpSettings | null {
  if (flags.dump === undefined) {
    if (flags.dumpMax !== undefined) throw new InvalidArgumentError('--dump-max needs --dump text or --dump hex');
    return null;
  }
  if (flags.dump !== 'text' && flags.dump !== 'hex') throw new InvalidArgumentError(`invalid --dump: "${flags.dump}" (use text or hex)`);
  return { format: flags.dump, max: flags.dumpMax === undefined ? DEFAULT_DUMP_MAX : parseSize(flags.dumpMax, '--dump-max') };
}

const DEFAULT_DUMP_MAX = 256;

/** One process: serve until a signal, then drain (a second signal forces). */
async function runSingle(options: ServeOptions, log: Logger, dump: DumpSettings | null, certOut: string | undefined, io: CliIo, json: boolean, metrics: string | undefined): Promise<number> {
  const server = await serve(options);
  attachLogs(server, log, dump);
  return runService(server, { log, io, json, certOut, metrics, stopFields: () => stopFields(server.stats) });
}

/** A worker: serve, report to the primary, and drain when it asks or goes away. */
function runWorker(options: ServeOptions, log: Logger, dump: DumpSettings | null, metrics: boolean): Promise<number> {
  return runAsWorker(
    async () => {
      const server = await serve(options);
      attachLogs(server, log, dump);
      return server;
    },
    log,
    (server) => stopFields(server.stats),
    metrics,
  );
}

/** The primary of --workers N: one throwaway certificate for all, then supervise until a signal. */
async function runPrimary(options: ServeOptions, count: number, log: Logger, certOut: string | undefined, io: CliIo, json: boolean, metrics: string | undefined): Promise<number> {
  const material = await certificateFor(options); // validates every option too, before anything forks
  return runAsPrimary({ count, log, io, json, certOut, material, metrics });
}
