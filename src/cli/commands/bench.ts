/** `netecho bench [URL]`: load any echo server, verify every byte, report throughput and latency. */
import type { Command } from 'commander';
import { bench } from '../../bench/bench.js';
import { BENCH_DEFAULTS, type BenchOptions } from '../../bench/options.js';
import { formatBenchResult } from '../output/bench-table.js';
import { jsonLine } from '../output/json.js';
import { benchRelay } from '../../bench/relay/bench-relay.js';
import { DEFAULT_ENDPOINT, DEFAULT_ENDPOINT_RELAY } from '../../endpoint.js';
import { ConnectRefusedError, InvalidArgumentError } from '../../errors.js';
import { formatRelayBenchResult } from '../output/relay-bench-table.js';
import { EXIT } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { addClientTlsOptions, clientTlsFlags, type ClientTlsFlags } from '../options.js';
import { createProgress } from '../output/progress.js';
import { basename } from 'node:path';
import { renderReport } from '../../bench/report/html.js';
import { readResults, writeHtml } from './report.js';

interface BenchFlags extends ClientTlsFlags {
  connections?: string;
  size?: string;
  duration?: string;
  warmup?: string;
  pipeline?: string;
  rate?: string;
  stream?: boolean;
  workers?: string;
  connectRate?: string;
  source?: string;
  timeout?: string;
  json?: boolean;
  progress?: boolean;
  relay?: boolean;
  rooms?: string;
  publishers?: string;
  subscribers?: string;
  subscribeUrl?: string[];
  report?: string;
  compare?: string[];
}

export function registerBench(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const cmd = program
    .command('bench')
    .summary('load an echo server and measure it')
    .description(
      `Load the echo server at URL (default ${DEFAULT_ENDPOINT}) and measure round trips per second, bandwidth and ` +
        'latency (HDR histogram, microseconds). Every echoed byte is checked; mismatches, short reads, resets and ' +
        'timeouts are counted and make the exit code non-zero. Modes: closed loop (default), --pipeline N, ' +
        '--rate R (open loop, latency from each scheduled send), --stream (bandwidth). With --relay, a fan-out ' +
        'through a relay: publishers at --rate each, every delivery to every subscriber checked (bytes, order, ' +
        'exactly once), latency from publish to each delivery.',
    )
    .argument('[url]', 'the echo server: tcp, tls, udp, ws, wss, http or https://host:port (udp: loss and reordering reported; http: one POST per message)')
    .option('-c, --connections <n>', `concurrent connections (default ${BENCH_DEFAULTS.connections})`)
    .option('-s, --size <size>', 'message size: 64, 1KiB, 64KiB, 1MiB (default 1KiB)')
    .option('-d, --duration <duration>', 'how long to measure (default 10s)')
    .option('--warmup <duration>', 'load before measuring, not recorded (default 1s)')
    .option('-p, --pipeline <n>', 'messages in flight per connection')
    .option('-r, --rate <n>', 'open loop: messages per second in total (with --relay: per publisher, default 10)')
    .option('--stream', 'write continuously and read the echo concurrently; reports bandwidth')
    .option('-w, --workers <n>', 'worker threads, each with its share of connections (default 1)')
    .option('--connect-rate <n>', 'new connections per second while connecting')
    .option('--source <addresses>', 'comma-separated local addresses to spread connections over (e.g. 127.0.0.2,127.0.0.3)')
    .option('-t, --timeout <duration>', 'connect timeout, and the longest wait for one echo (default 5s)')
    .option('--json', 'print one JSON document instead of the table')
    .option('--no-progress', 'no live progress line on stderr (it is shown only on a terminal anyway)')
    .option('--relay', `fan-out through a relay at URL (ws, wss, tcp, tls; default ${DEFAULT_ENDPOINT_RELAY}): every delivery checked`)
    .option('--rooms <n>', 'with --relay: rooms (default 1)')
    .option('--publishers <n>', 'with --relay: publishers per room, each at --rate messages/s (default 1, at 10/s)')
    .option('--subscribers <n>', 'with --relay: subscribers per room (default 10)')
    .option('--subscribe-url <url>', 'with --relay: another instance; subscribers are spread over URL and these (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--report <file>', 'also write an HTML report with plots (rate over time, latency percentiles) to FILE')
    .option('--compare <json>', 'with --report: a result of an earlier bench --json to plot beside this run (repeatable)', (v: string, all: string[]) => [...all, v], []);
  addClientTlsOptions(cmd).action((url: string | undefined, flags: BenchFlags) =>
    setExit(flags.relay ? runRelayBench(url ?? DEFAULT_ENDPOINT_RELAY, flags, io) : runBench(url ?? DEFAULT_ENDPOINT, flags, io)),
  );
}

/** Echo-bench flags that mean nothing to a fan-out, and fan-out flags that mean nothing without --relay. */
const ECHO_ONLY = ['connections', 'pipeline', 'stream', 'workers', 'source', 'report'] as const;
const RELAY_ONLY = ['rooms', 'publishers', 'subscribers'] as const;
const flagName = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

async function runRelayBench(url: string, flags: BenchFlags, io: CliIo): Promise<number> {
  for (const k of ECHO_ONLY) if (flags[k] !== undefined) throw new InvalidArgumentError(`${flagName(k)} does not apply to --relay`);
  if ((flags.compare ?? []).length > 0) throw new InvalidArgumentError('--compare does not apply to --relay');
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await benchRelay(url, {
      rooms: flags.rooms,
      publishers: flags.publishers,
      subscribers: flags.subscribers,
      rate: flags.rate,
      size: flags.size,
      duration: flags.duration,
      warmup: flags.warmup,
      subscribeUrls: flags.subscribeUrl ?? [],
      timeout: flags.timeout,
      connectRate: flags.connectRate,
      tls: clientTlsFlags(flags),
      signal: abort.signal,
    });
    io.stdout.write(flags.json ? jsonLine(result) : formatRelayBenchResult(result));
    if (result.errors === 0) return EXIT.OK;
    say(io, `${result.errors} error(s): not every message reached every subscriber once, in order and intact`);
    return result.mismatched > 0 ? EXIT.ECHO_MISMATCH : EXIT.FAILURE;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

async function runBench(url: string, flags: BenchFlags, io: CliIo): Promise<number> {
  for (const k of RELAY_ONLY) if (flags[k] !== undefined) throw new InvalidArgumentError(`${flagName(k)} needs --relay`);
  if ((flags.subscribeUrl ?? []).length > 0) throw new InvalidArgumentError('--subscribe-url needs --relay');
  const compare = flags.compare ?? [];
  if (compare.length > 0 && flags.report === undefined) throw new InvalidArgumentError('--compare needs --report FILE');
  const earlier = readResults(compare, '--compare');
  // As typed: bench() validates every option once and names what is wrong.
  const options: BenchOptions = {
    connections: flags.connections,
    size: flags.size,
    duration: flags.duration,
    warmup: flags.warmup,
    pipeline: flags.pipeline,
    rate: flags.rate,
    stream: flags.stream,
    workers: flags.workers,
    connectRate: flags.connectRate,
    source: flags.source,
    timeout: flags.timeout,
    tls: clientTlsFlags(flags),
  };
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const progress = createProgress(io.stderr, flags.progress !== false);
  try {
    const result = await bench(url, { ...options, signal: abort.signal }, { onTick: (t) => progress.update(t) });
    progress.done();
    if (result.connected === 0) {
      throw new ConnectRefusedError(`no connection to ${result.url} could be opened (${result.errors.connect} attempts failed)`);
    }
    io.stdout.write(flags.json ? jsonLine(result) : formatBenchResult(result));
    if (flags.report !== undefined) {
      writeHtml(flags.report, renderReport([result, ...earlier], { names: ['this run', ...compare.map((f) => basename(f))] }), '--report', io);
    }
    const e = result.errors;
    if (e.resetAtOpen > 0) {
      say(io, `${e.resetAtOpen} connection(s) were reset as they opened: is the server capping connections? (netecho serve: --max-connections, --max-connections-per-ip)`);
    }
    if (e.connect > 0) say(io, `${e.connect} connection(s) could not be opened`);
    if (e.httpStatus > 0) {
      const s = result.httpStatuses ?? { '3xx': 0, '4xx': 0, '5xx': 0 };
      say(io, `${e.httpStatus} repl${e.httpStatus === 1 ? 'y was' : 'ies were'} not 2xx (3xx ${s['3xx']}, 4xx ${s['4xx']}, 5xx ${s['5xx']})`);
    }
    const echoErrors = e.total - e.resetAtOpen - e.connect - e.httpStatus;
    if (echoErrors > 0) say(io, `${echoErrors} error(s): the server did not echo every byte correctly and in time`);
    if (e.total > 0) return e.mismatches > 0 ? EXIT.ECHO_MISMATCH : EXIT.FAILURE;
    return EXIT.OK;
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
  }
}
