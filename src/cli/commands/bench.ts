/** `netecho bench [URL]`: load any echo server, verify every byte, report throughput and latency. */
import type { Command } from 'commander';
import { bench } from '../../bench/bench.js';
import { BENCH_DEFAULTS } from '../../bench/options.js';
import { formatResult } from '../../bench/result.js';
import { DEFAULT_ENDPOINT } from '../../endpoint.js';
import { ConnectRefusedError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { addClientTlsOptions, clientTlsFlags, countFlag, durationFlag, sizeFlag, type ClientTlsFlags } from '../options.js';
import { createProgress } from '../output/progress.js';

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
}

export function registerBench(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const cmd = program
    .command('bench')
    .summary('load an echo server and measure it')
    .description(
      `Load the echo server at URL (default ${DEFAULT_ENDPOINT}) and measure round trips per second, bandwidth and ` +
        'latency (HDR histogram, microseconds). Every echoed byte is checked; mismatches, short reads, resets and ' +
        'timeouts are counted and make the exit code non-zero. Modes: closed loop (default), --pipeline N, ' +
        '--rate R (open loop, latency from each scheduled send), --stream (bandwidth).',
    )
    .argument('[url]', 'the echo server: tcp, tls, ws, wss or udp://host:port (udp: loss and reordering reported)')
    .option('-c, --connections <n>', `concurrent connections (default ${BENCH_DEFAULTS.connections})`)
    .option('-s, --size <size>', 'message size: 64, 1KiB, 64KiB, 1MiB (default 1KiB)')
    .option('-d, --duration <duration>', 'how long to measure (default 10s)')
    .option('--warmup <duration>', 'load before measuring, not recorded (default 1s)')
    .option('-p, --pipeline <n>', 'messages in flight per connection')
    .option('-r, --rate <n>', 'open loop: messages per second in total')
    .option('--stream', 'write continuously and read the echo concurrently; reports bandwidth')
    .option('-w, --workers <n>', 'worker threads, each with its share of connections (default 1)')
    .option('--connect-rate <n>', 'new connections per second while connecting')
    .option('--source <addresses>', 'comma-separated local addresses to spread connections over (e.g. 127.0.0.2,127.0.0.3)')
    .option('-t, --timeout <duration>', 'connect timeout, and the longest wait for one echo (default 5s)')
    .option('--json', 'print one JSON document instead of the table')
    .option('--no-progress', 'no live progress line on stderr (it is shown only on a terminal anyway)');
  addClientTlsOptions(cmd).action((url: string | undefined, flags: BenchFlags) => setExit(runBench(url ?? DEFAULT_ENDPOINT, flags, io)));
}

async function runBench(url: string, flags: BenchFlags, io: CliIo): Promise<number> {
  const options = {
    ...(flags.connections !== undefined && { connections: countFlag(flags.connections, '--connections') }),
    ...(flags.size !== undefined && { size: sizeFlag(flags.size, '--size') }),
    ...(flags.duration !== undefined && { duration: durationFlag(flags.duration, '--duration') }),
    ...(flags.warmup !== undefined && { warmup: durationFlag(flags.warmup, '--warmup') }),
    ...(flags.pipeline !== undefined && { pipeline: countFlag(flags.pipeline, '--pipeline') }),
    ...(flags.rate !== undefined && { rate: countFlag(flags.rate, '--rate') }),
    ...(flags.stream && { stream: true }),
    ...(flags.workers !== undefined && { workers: countFlag(flags.workers, '--workers') }),
    ...(flags.connectRate !== undefined && { connectRate: countFlag(flags.connectRate, '--connect-rate') }),
    ...(flags.source !== undefined && { source: flags.source }),
    ...(flags.timeout !== undefined && { timeout: durationFlag(flags.timeout, '--timeout') }),
  };
  const tls = clientTlsFlags(flags);
  if (tls !== undefined) Object.assign(options, { tls });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const progress = createProgress(io.stderr, flags.progress !== false);
  try {
    const result = await bench(url, { ...options, signal: abort.signal }, { onTick: (t) => progress.update(t) }).catch((err: unknown) => {
      // Option names in library messages are camelCase; the user typed flags.
      if (err instanceof Error) {
        err.message = err.message
          .replace(/^invalid (\w+):/, (_m, name: string) => `invalid --${kebab(name)}:`)
          .replace(/^conflicting options: choose one of pipeline, rate and stream$/, 'conflicting options: choose one of --pipeline, --rate and --stream');
      }
      throw err;
    });
    progress.done();
    if (result.connected === 0) {
      throw new ConnectRefusedError(`no connection to ${result.url} could be opened (${result.errors.connect} attempts failed)`);
    }
    io.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatResult(result));
    if (result.errors.total > 0) {
      say(io, `${result.errors.total} error(s): the server did not echo every byte correctly and in time`);
      return result.errors.mismatches > 0 ? EXIT.ECHO_MISMATCH : EXIT.FAILURE;
    }
    return EXIT.OK;
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
