/** `netecho send [URL] [MESSAGE]`: one message, a stream from stdin, or ping mode. */
import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_MESSAGE, DEFAULT_TIMEOUT_MS } from '../../client/options.js';
import { ping, type PingReply, type PingSummary } from '../../client/ping.js';
import { send } from '../../client/send.js';
import { sendStream } from '../../client/stream.js';
import { DEFAULT_ENDPOINT, parseEndpoint } from '../../endpoint.js';
import { InvalidArgumentError } from '../../errors.js';
import { formatDuration } from '../../units.js';
import { EXIT, EXIT_FOR_CODE } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { messageInFlags } from '../flags.js';
import { addClientTlsOptions, clientTlsFlags, type ClientTlsFlags } from '../options.js';
import { jsonLine } from '../output/json.js';
import { formatPingSummary } from '../output/ping.js';
import { request } from '../../http-client/request.js';
import type { ClientTlsOptions } from '../../client/tls-options.js';
import type { WebSocketClientOptions } from '../../client/websocket-options.js';

interface SendFlags extends ClientTlsFlags {
  retries?: string;
  timeout?: string;
  count?: string;
  interval?: string;
  verify?: boolean;
  json?: boolean;
  quiet?: boolean;
  header?: string[];
  origin?: string;
  subprotocol?: string[];
  lines?: boolean;
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
    .option('--retries <n>', 'udp: datagrams to send again when no reply comes within --timeout (default 2)')
    .option('-H, --header <header>', "ws/wss (and http/https): add a header to the request, 'Name: value' (repeat for more)", collect)
    .option('--origin <origin>', 'ws/wss: the Origin header to send (for servers that check it)')
    .option('--subprotocol <name>', 'ws/wss: offer this subprotocol (repeat for more; the server picks one)', collect)
    .option('--lines', 'ws/wss stream mode: each stdin line is one text message, each message received one stdout line');
  addClientTlsOptions(cmd).action((first: string | undefined, second: string | undefined, flags: SendFlags) => setExit(runSend(first, second, flags, io)));
}

type SendMode = 'http' | 'ping' | 'stream' | 'one';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** -H, --origin and --subprotocol as the library's WebSocket client options (it checks them, for ws/wss only). */
function websocketFlags(flags: SendFlags): WebSocketClientOptions | undefined {
  if (flags.header === undefined && flags.origin === undefined && flags.subprotocol === undefined) return undefined;
  return { headers: flags.header, origin: flags.origin, protocols: flags.subprotocol };
}

async function runSend(first: string | undefined, second: string | undefined, flags: SendFlags, io: CliIo): Promise<number> {
  // A first argument containing :// is the URL; with two arguments the first always is.
  const twoArgs = first !== undefined && (first.includes('://') || second !== undefined);
  const url = twoArgs ? (first as string) : DEFAULT_ENDPOINT;
  const message = twoArgs ? second : first;
  const endpoint = parseEndpoint(url, { allowPortZero: false });
  const tls = clientTlsFlags(flags);
  const mode = sendMode(endpoint.scheme, message, flags);
  const websocket = mode === 'http' ? undefined : websocketFlags(flags);
  switch (mode) {
    case 'http':
      return runHttpPost(url, message, flags, tls, io);
    case 'ping':
      return runPing(url, message ?? DEFAULT_MESSAGE, tls, websocket, flags, io);
    case 'stream': {
      const result = await sendStream(url, io.stdin, io.stdout, { timeout: flags.timeout, tls, websocket, verify: Boolean(flags.verify), lines: flags.lines });
      if (flags.json) io.stderr.write(jsonLine(result));
      return EXIT.OK;
    }
    case 'one':
      return runOne(url, message ?? DEFAULT_MESSAGE, flags, tls, websocket, io);
  }
}

/** Which of send's modes the arguments ask for; combinations that make no sense are usage errors. */
function sendMode(scheme: string, message: string | undefined, flags: SendFlags): SendMode {
  const pinging = flags.count !== undefined || flags.interval !== undefined;
  const streaming = message === '-' || (message === undefined && (stdinHasData() || Boolean(flags.lines)));
  if (flags.lines && (pinging || (message !== undefined && message !== '-'))) throw new InvalidArgumentError('--lines is for stream mode: stdin, not a MESSAGE');
  if (scheme === 'http' || scheme === 'https') {
    if (flags.verify) throw new InvalidArgumentError(`--verify is not for ${scheme}:// (the reply is a reflection, not an echo)`);
    if (pinging) throw new InvalidArgumentError(`--count and --interval are not for ${scheme}:// (use udp, tcp, tls, ws or wss)`);
    if (flags.origin !== undefined || flags.subprotocol !== undefined || flags.lines) {
      throw new InvalidArgumentError(`--origin, --subprotocol and --lines are for ws:// and wss:// (not ${scheme}://)`);
    }
    return 'http';
  }
  if (flags.retries !== undefined && (pinging || streaming)) throw new InvalidArgumentError('--retries is for one MESSAGE over udp://');
  if (pinging) return 'ping';
  if (streaming) {
    if (scheme === 'udp') throw new InvalidArgumentError('streaming stdin is not for udp:// (datagrams): give a MESSAGE');
    return 'stream';
  }
  return 'one';
}

/** One message and its echo, printed as the tutorial's client does (or as JSON). */
async function runOne(url: string, text: string, flags: SendFlags, tls: ClientTlsOptions | undefined, websocket: WebSocketClientOptions | undefined, io: CliIo): Promise<number> {
  const result = await send(url, text, { timeout: flags.timeout, tls, websocket, retries: flags.retries, verify: Boolean(flags.verify) });
  if (flags.json) {
    const decoded = decodeUtf8(result.echo);
    io.stdout.write(
      jsonLine({
        url: result.url,
        bytesSent: result.bytesSent,
        bytesReceived: result.echo.length,
        connectMs: result.connectMs,
        rttMs: result.rttMs,
        match: result.match,
        ...(result.attempts !== undefined && { attempts: result.attempts, lost: result.lost }),
        ...(decoded !== null ? { echo: decoded } : { echoBase64: result.echo.toString('base64') }),
      }),
    );
    return EXIT.OK;
  }
  io.stdout.write(`Send: ${text}\n`);
  io.stdout.write(Buffer.concat([Buffer.from('Received: '), result.echo, Buffer.from('\n')]));
  if (result.lost !== undefined && result.lost > 0) {
    say(io, `${result.lost} of ${result.attempts ?? 0} datagrams lost (answered on attempt ${result.attempts ?? 0})`);
  }
  return EXIT.OK;
}

/** http(s)://: POST the message (or stdin) once and show the reply as it is; --json in send's usual shape. */
async function runHttpPost(url: string, message: string | undefined, flags: SendFlags, tls: ClientTlsOptions | undefined, io: CliIo): Promise<number> {
  const body = message === '-' || (message === undefined && stdinHasData()) ? await readAll(io.stdin) : Buffer.from(message ?? DEFAULT_MESSAGE);
  const reply = await request(url, {
    method: 'POST',
    data: body,
    headers: [`content-type: text/plain; charset=utf-8`, ...(flags.header ?? [])],
    timeout: flags.timeout ?? DEFAULT_TIMEOUT_MS,
    maxRedirects: 0,
    env: io.env,
    tls,
  });
  if (flags.json) {
    const t = reply.timing;
    const text = decodeUtf8(reply.body);
    let parsed: unknown = undefined;
    if (text !== null && /[/+]json\b/i.test(String(reply.headers['content-type'] ?? ''))) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    io.stdout.write(
      jsonLine({
        url: reply.url,
        bytesSent: body.length,
        bytesReceived: reply.bodyBytes,
        connectMs: t.dnsMs + t.connectMs + t.tlsMs,
        rttMs: t.firstByteMs + t.transferMs,
        status: reply.status,
        ...(parsed !== undefined ? { reply: parsed } : text !== null ? { replyText: text } : { replyBase64: reply.body.toString('base64') }),
      }),
    );
    return EXIT.OK;
  }
  io.stdout.write(reply.body);
  if (reply.body.length > 0 && reply.body[reply.body.length - 1] !== 0x0a) io.stdout.write('\n');
  return EXIT.OK;
}

async function runPing(url: string, message: string, tls: ClientTlsOptions | undefined, websocket: WebSocketClientOptions | undefined, flags: SendFlags, io: CliIo): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const verbose = !flags.json && !flags.quiet;
  // The header comes with the first reply (or the summary): nothing is printed for options refused up front.
  let header = false;
  const printHeader = (): void => {
    if (!verbose || header) return;
    header = true;
    io.stdout.write(`ECHO ${url}: ${Buffer.byteLength(message)} bytes per message\n`);
  };
  const onReply = (r: PingReply): void => {
    if (!verbose) return;
    printHeader();
    if (r.rttMs === null) io.stdout.write(`no reply from ${url}: seq=${r.seq} (timeout ${flags.timeout ?? formatDuration(DEFAULT_TIMEOUT_MS)})\n`);
    else io.stdout.write(`${r.bytes} bytes from ${url}: seq=${r.seq} time=${r.rttMs.toFixed(3)} ms${r.match ? '' : ' (ECHO DIFFERS)'}\n`);
  };
  let summary: PingSummary;
  try {
    summary = await ping(url, {
      message,
      verify: Boolean(flags.verify),
      signal: abort.signal,
      onReply,
      tls,
      websocket,
      count: flags.count,
      interval: flags.interval,
      timeout: flags.timeout,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  if (flags.json) {
    const { error, ...rest } = summary;
    io.stdout.write(jsonLine({ ...rest, error: error === null ? null : { code: error.code, message: messageInFlags(error) } }));
  } else {
    if (verbose) {
      printHeader();
      io.stdout.write('\n');
    }
    io.stdout.write(formatPingSummary(summary, Boolean(flags.verify)));
  }
  if (summary.error !== null) {
    say(io, messageInFlags(summary.error));
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
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}
