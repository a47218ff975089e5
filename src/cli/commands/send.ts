/** `netecho send [URL] [MESSAGE]`: one message, a stream from stdin, or ping mode. */
import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_MESSAGE } from '../../client/options.js';
import { ping, type PingReply, type PingSummary } from '../../client/ping.js';
import { send } from '../../client/send.js';
import { sendStream } from '../../client/stream.js';
import { DEFAULT_ENDPOINT, parseEndpoint } from '../../endpoint.js';
import { InvalidArgumentError } from '../../errors.js';
import { formatDuration } from '../../units.js';
import { EXIT, EXIT_FOR_CODE } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { addClientTlsOptions, clientTlsFlags, countFlag, durationFlag, type ClientTlsFlags } from '../options.js';
import { get } from '../../http-client/get.js';
import type { ClientTlsOptions } from '../../client/tls-options.js';

interface SendFlags extends ClientTlsFlags {
  retries?: string;
  timeout?: string;
  count?: string;
  interval?: string;
  verify?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerSend(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const cmd = program
    .command('send')
    .summary('send a message, a stream or pings to an echo server')
    .description(
      `Connect to URL (default ${DEFAULT_ENDPOINT}) and send MESSAGE (default "${DEFAULT_MESSAGE}"); print it and ` +
        "the whole echo, as the tutorial's client does.\n\n" +
        'Stream mode: with MESSAGE "-", or no MESSAGE and stdin a pipe or file, stdin goes to the server and the ' +
        'echo to stdout, exact bytes, like nc, ending with a half-close.\n\n' +
        'Ping mode: with --count or --interval, one MESSAGE per interval, each round trip timed, then a summary.\n\n' +
        'Over ws:// and wss:// a MESSAGE goes as one text message (stdin as binary messages); over udp:// as one ' +
        'datagram, sent again up to --retries times; to http:// and https:// it is POSTed and the reply printed ' +
        '(netecho serve replies with a JSON reflection of the request). A first argument containing "://" is the URL.',
    )
    .argument('[url]', 'the echo server: tcp, tls, udp, ws, wss, http or https://host:port')
    .argument('[message]', 'what to send')
    .option('-t, --timeout <duration>', 'connect timeout, and the wait for each whole echo (default 5s)')
    .option('-c, --count <n>', 'ping mode: send this many messages, then summarise')
    .option('-i, --interval <duration>', 'ping mode: time between messages (default 1s)')
    .option('--verify', 'exit 65 if the echo differs from what was sent')
    .option('--json', 'print one JSON document instead of text')
    .option('-q, --quiet', 'ping mode: print only the summary')
    .option('--retries <n>', 'udp: datagrams to send again when no reply comes within --timeout (default 2)');
  addClientTlsOptions(cmd).action((first: string | undefined, second: string | undefined, flags: SendFlags) => setExit(runSend(first, second, flags, io)));
}

async function runSend(first: string | undefined, second: string | undefined, flags: SendFlags, io: CliIo): Promise<number> {
  let url = DEFAULT_ENDPOINT;
  let message = first;
  if (first !== undefined && (first.includes('://') || second !== undefined)) {
    url = first;
    message = second;
  }
  // Validate every input before connecting anywhere.
  const endpoint = parseEndpoint(url, { allowPortZero: false });
  const tls = clientTlsFlags(flags);
  const retries = flags.retries === undefined ? undefined : countFlag(flags.retries, '--retries', 0);
  const timeout = durationFlag(flags.timeout, '--timeout');
  const count = countFlag(flags.count, '--count');
  const interval = durationFlag(flags.interval, '--interval');
  if (interval !== undefined && interval <= 0) throw new InvalidArgumentError('invalid --interval: must be greater than 0');

  if (retries !== undefined && endpoint.scheme !== 'udp') throw new InvalidArgumentError(`--retries is for udp:// (not ${endpoint.scheme}://)`);
  if (endpoint.scheme === 'http' || endpoint.scheme === 'https') {
    if (flags.verify) throw new InvalidArgumentError(`--verify is not for ${endpoint.scheme}:// (the reply is a reflection, not an echo)`);
    if (count !== undefined || interval !== undefined) throw new InvalidArgumentError(`--count and --interval are not for ${endpoint.scheme}:// (use udp, tcp, tls, ws or wss)`);
    const body = message === '-' || (message === undefined && stdinHasData()) ? await readAll(io.stdin) : Buffer.from(message ?? DEFAULT_MESSAGE);
    // get() is the HTTP client; here it posts once and shows the first reply as it is.
    const reply = await get(url, {
      method: 'POST',
      data: body,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      timeout: timeout ?? 5000,
      maxRedirects: 0,
      env: io.env,
      ...(tls && { tls }),
    });
    io.stdout.write(reply.body);
    if (reply.body.length > 0 && reply.body[reply.body.length - 1] !== 0x0a) io.stdout.write('\n');
    return EXIT.OK;
  }
  if (count !== undefined || interval !== undefined) {
    return runPing(url, message ?? DEFAULT_MESSAGE, { count, interval, timeout, tls }, flags, io);
  }
  if (message === '-' || (message === undefined && stdinHasData())) {
    if (endpoint.scheme === 'udp') throw new InvalidArgumentError('streaming stdin is not for udp:// (datagrams): give a MESSAGE');
    const result = await sendStream(url, io.stdin, io.stdout, { ...(timeout !== undefined && { timeout }), ...(tls && { tls }), verify: Boolean(flags.verify) });
    if (flags.json) io.stderr.write(`${JSON.stringify(result)}\n`);
    return EXIT.OK;
  }

  const text = message ?? DEFAULT_MESSAGE;
  const result = await send(url, text, {
    ...(timeout !== undefined && { timeout }),
    ...(tls && { tls }),
    ...(retries !== undefined && { retries }),
    verify: Boolean(flags.verify),
  });
  if (flags.json) {
    const decoded = decodeUtf8(result.echo);
    io.stdout.write(
      `${JSON.stringify({
        url: result.url,
        bytesSent: result.bytesSent,
        bytesReceived: result.echo.length,
        connectMs: round3(result.connectMs),
        rttMs: round3(result.rttMs),
        match: result.match,
        ...(result.attempts !== undefined && { attempts: result.attempts, lost: result.lost }),
        ...(decoded !== null ? { echo: decoded } : { echoBase64: result.echo.toString('base64') }),
      })}\n`,
    );
  } else {
    io.stdout.write(`Send: ${text}\n`);
    io.stdout.write(Buffer.concat([Buffer.from('Received: '), result.echo, Buffer.from('\n')]));
    if (result.lost !== undefined && result.lost > 0) {
      say(io, `${result.lost} of ${result.attempts ?? 0} datagrams lost (answered on attempt ${result.attempts ?? 0})`);
    }
  }
  return EXIT.OK;
}

async function runPing(
  url: string,
  message: string,
  settings: { count: number | undefined; interval: number | undefined; timeout: number | undefined; tls: ClientTlsOptions | undefined },
  flags: SendFlags,
  io: CliIo,
): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const verbose = !flags.json && !flags.quiet;
  const bytes = Buffer.byteLength(message);
  let header = false;
  const onReply = (r: PingReply): void => {
    if (!verbose) return;
    if (r.rttMs === null) io.stdout.write(`no reply from ${url}: seq=${r.seq} (timeout ${formatDuration(settings.timeout ?? 5000)})\n`);
    else io.stdout.write(`${r.bytes} bytes from ${url}: seq=${r.seq} time=${r.rttMs.toFixed(3)} ms${r.match ? '' : ' (ECHO DIFFERS)'}\n`);
  };
  let summary: PingSummary;
  try {
    if (verbose) {
      io.stdout.write(`ECHO ${url}: ${bytes} bytes per message\n`);
      header = true;
    }
    summary = await ping(url, {
      message,
      verify: Boolean(flags.verify),
      signal: abort.signal,
      onReply,
      ...(settings.tls && { tls: settings.tls }),
      ...(settings.count !== undefined && { count: settings.count }),
      ...(settings.interval !== undefined && { interval: settings.interval }),
      ...(settings.timeout !== undefined && { timeout: settings.timeout }),
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  if (flags.json) {
    const { error, ...rest } = summary;
    io.stdout.write(`${JSON.stringify({ ...rest, error: error === null ? null : { code: error.code, message: error.message } })}\n`);
  } else {
    if (header) io.stdout.write('\n');
    io.stdout.write(`--- ${summary.url} echo statistics ---\n`);
    io.stdout.write(
      `${summary.sent} sent, ${summary.received} received, ${formatPercent(summary.lossPercent)} loss, time ${Math.round(summary.elapsedMs)} ms\n`,
    );
    if (summary.rtt !== null) {
      const r = summary.rtt;
      io.stdout.write(`rtt min/avg/max/stddev = ${[r.min, r.avg, r.max, r.stddev].map((v) => v.toFixed(3)).join('/')} ms\n`);
    }
    if (flags.verify) io.stdout.write(`${summary.mismatches} echo(es) differed from what was sent\n`);
  }
  if (summary.error !== null) {
    say(io, summary.error.message);
    return EXIT_FOR_CODE[summary.error.code];
  }
  if (flags.verify && summary.mismatches > 0) return EXIT.ECHO_MISMATCH;
  if (summary.lost > 0 || summary.received === 0) return EXIT.FAILURE;
  return EXIT.OK;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** True when stdin is a pipe, file or socket: something to stream. A TTY or /dev/null is not. */
function stdinHasData(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false;
  }
}

function decodeUtf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function formatPercent(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}
