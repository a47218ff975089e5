/** `netecho relay [URL...]`: real-time rooms over WebSocket and lines, with the drain on SIGINT/SIGTERM. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_ENDPOINT_RELAY } from '../../endpoint.js';
import { InvalidArgumentError } from '../../errors.js';
import { IpcBroker } from '../../relay/ipc-broker.js';
import { RelayPrimaryHub } from '../../relay/ipc-hub.js';
import { RELAY_DEFAULTS, resolveRelayOptions, type RelayOptions } from '../../relay/options.js';
import { relay, startRelay } from '../../relay/relay.js';
import type { RelayServer } from '../../relay/server.js';
import { certificateFor } from '../../server/certificate.js';
import { createLogger } from '../../telemetry/logger.js';
import { formatDuration, formatSize } from '../../units.js';
import type { CliIo } from '../io.js';
import { fileError, logSettings } from '../options.js';
import { attachRelayLogs, relayStopFields } from '../serve/logs.js';
import { isWorker, withPrimaryTls } from '../serve/worker.js';
import { runAsPrimary, runAsWorker } from '../serve/cluster-run.js';
import { runService } from '../serve/run.js';
import { addConnectionFlags, addServiceLogFlags, addTlsServerFlags, addWebSocketServerFlags, metricsFlag, serviceOptions, workersFlag, type ServiceFlags } from '../serve/service-flags.js';

interface RelayFlags extends ServiceFlags {
  room?: string;
  echoSelf?: boolean;
  maxMessage?: string;
  rate?: string;
  maxRoomsPerConnection?: string;
  maxMembersPerRoom?: string;
  maxRooms?: string;
  maxQueued?: string;
  slowConsumer?: string;
  history?: string;
  historyTtl?: string;
  historyMaxMemory?: string;
  authSecret?: string;
  authSecretFile?: string;
  redis?: string;
  redisOptional?: boolean;
}

export function registerRelay(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const D = RELAY_DEFAULTS;
  const size = (n: number): string => formatSize(n).replace(' ', '');
  const cmd = program
    .command('relay')
    .summary('run real-time rooms: each message to every other member of its room')
    .description(
      `Relay messages between the clients of each room, on each URL given (default ${DEFAULT_ENDPOINT_RELAY}). ` +
        'Prints each listening URL on stdout; logs go to stderr.\n\n' +
        'WebSocket (ws://, wss://, and upgrades on http://, https://): a client joins the room its path names ' +
        '(ws://host:8765/lobby); ?format=json gives envelopes with sender, id, time and presence; ?echo=1 its own ' +
        'messages too; ?since=ID what it missed first (with --history). TCP and TLS: one line is one message; ' +
        'lines starting with / are commands (/join, /leave, /nick, /who, /help). A plain ncat and a browser can ' +
        'talk in the same room.\n\n' +
        'With --redis, instances sharing one Redis share their rooms; with --workers N the workers share them (through ' +
        'Redis with --redis, else through the primary process). SIGINT/SIGTERM tells members the relay is going ' +
        '(WebSocket 1001, a last line) and drains.',
    )
    .argument('[url...]', 'scheme://host:port to listen on: ws, wss, tcp, tls, http or https');
  addConnectionFlags(cmd, 'its messages');
  cmd
    .option('--room <name>', `the room TCP/TLS clients (and WebSocket clients on /) start in (default ${D.room})`)
    .option('--echo-self', 'send every member its own messages too (a client can ask with ?echo=1)')
    .option('--max-message <size>', `largest message; bigger closes the client (default ${size(D.maxMessageBytes)})`)
    .option('--rate <n>', `messages per second one connection may publish; more are dropped and counted (default ${D.ratePerSecond})`)
    .option('--max-rooms-per-connection <n>', `rooms one connection may be in (default ${D.maxRoomsPerConnection})`)
    .option('--max-members-per-room <n>', `members of one room on this instance (default ${D.maxMembersPerRoom})`)
    .option('--max-rooms <n>', `rooms in all on this instance (default ${D.maxRooms})`)
    .option('--max-queued <size>', `bytes queued for one member before the slow-consumer policy applies (default ${size(D.maxQueuedBytes)})`)
    .option('--slow-consumer <policy>', 'at that cap: close the member (1008 / an error line), or drop messages for it and send a gap notice (default close)')
    .option('--history <n>', 'keep the last N messages of each room, for clients reconnecting with ?since=ID (default 0)')
    .option('--history-ttl <duration>', `forget history older than this (default ${formatDuration(D.historyTtlMs)})`)
    .option('--history-max-memory <size>', `bytes of history in all; the oldest go first (default ${size(D.historyMaxBytes)})`)
    .option('--auth-secret <secret>', 'require an HS256 JWT signed with SECRET (sub: the name; rooms: patterns; publish: false for read-only)')
    .option('--auth-secret-file <file>', 'the same, read from FILE (keeps the secret out of the process list)')
    .option('--redis <url>', 'share rooms with every instance on this Redis: redis://host:port[/db], rediss://; or REDIS_URL')
    .option('--redis-optional', 'start (and keep going) without Redis when it cannot be reached');
  addTlsServerFlags(cmd);
  addWebSocketServerFlags(cmd);
  addServiceLogFlags(cmd);
  cmd.action((urls: string[], flags: RelayFlags) => setExit(runRelay(urls, flags, io)));
}

/** The flags as relay() options, as typed: the library validates them and names what is wrong. */
function toRelayOptions(urls: string[], flags: RelayFlags, env: NodeJS.ProcessEnv): RelayOptions {
  if (flags.authSecret !== undefined && flags.authSecretFile !== undefined) {
    throw new InvalidArgumentError('conflicting options: --auth-secret and --auth-secret-file (give one)');
  }
  return {
    ...serviceOptions(flags),
    listen: urls.length > 0 ? urls : DEFAULT_ENDPOINT_RELAY,
    room: flags.room,
    echoSelf: flags.echoSelf,
    maxMessage: flags.maxMessage,
    rate: flags.rate,
    maxRoomsPerConnection: flags.maxRoomsPerConnection,
    maxMembersPerRoom: flags.maxMembersPerRoom,
    maxRooms: flags.maxRooms,
    maxQueued: flags.maxQueued,
    slowConsumer: flags.slowConsumer as RelayOptions['slowConsumer'],
    history: flags.history,
    historyTtl: flags.historyTtl,
    historyMaxMemory: flags.historyMaxMemory,
    authSecret: flags.authSecretFile !== undefined ? readSecret(flags.authSecretFile) : flags.authSecret,
    redis: flags.redis ?? (env.REDIS_URL || undefined),
    redisOptional: flags.redisOptional,
  };
}

function readSecret(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read --auth-secret-file "${path}": ${fileError(err)}`);
  }
}

async function runRelay(urls: string[], flags: RelayFlags, io: CliIo): Promise<number> {
  const options = toRelayOptions(urls, flags, io.env);
  const { level, format } = logSettings(flags);
  const workers = workersFlag(flags.workers);
  metricsFlag(flags.metrics);
  if (isWorker()) {
    const log = createLogger({ format, level, destination: io.stderr, base: { worker: process.pid } });
    return runAsWorker(() => startWorker(withPrimaryTls(options), log), log, (server) => relayStopFields(server.stats), flags.metrics !== undefined);
  }
  const log = createLogger({ format, level, destination: io.stderr });
  return workers > 1 ? runPrimary(options, workers, log, flags, io) : runSingle(options, log, flags, io);
}

async function runSingle(options: RelayOptions, log: Logger, flags: RelayFlags, io: CliIo): Promise<number> {
  const server = await relay(options);
  started(server, log);
  return runService(server, { log, io, json: Boolean(flags.json), certOut: flags.certOut, metrics: flags.metrics, stopFields: () => relayStopFields(server.stats) });
}

function started(server: RelayServer, log: Logger): void {
  attachRelayLogs(server, log);
  // Started without Redis (--redis-optional): said before anything could listen for it.
  if (server.stats.broker.error !== null) log.error(server.stats.broker.error);
  if (server.authRequired) log.info('clients need a token (HS256 JWT)');
}

/** A worker of --workers N: rooms span the workers through Redis (--redis), or else through the primary. */
async function startWorker(options: RelayOptions, log: Logger): Promise<RelayServer> {
  const server = await startRelay(options, options.redis === undefined ? (sink) => new IpcBroker(sink) : null);
  started(server, log);
  return server;
}

/** The primary of --workers N: without Redis it is the workers' broker (numbering, history, presence). */
async function runPrimary(options: RelayOptions, count: number, log: Logger, flags: RelayFlags, io: CliIo): Promise<number> {
  const { relay: settings } = resolveRelayOptions(options); // validates every option, before anything forks
  const material = await certificateFor({ listen: options.listen ?? DEFAULT_ENDPOINT_RELAY, tls: options.tls });
  const hub = settings.redis === null ? new RelayPrimaryHub(settings) : null;
  try {
    return await runAsPrimary({ count, log, io, json: Boolean(flags.json), certOut: flags.certOut, material, metrics: flags.metrics });
  } finally {
    hub?.close();
  }
}
