/** `netecho get URL`: fetch an HTTP(S) resource and show it: pretty JSON, headers, the redirect chain, timing. */
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { get, type GetResponse, type Hop } from '../../http-client/request.js';
import { GET_DEFAULTS, type GetOptions } from '../../http-client/options.js';
import { formatDuration, formatSize } from '../../units.js';
import { EXIT } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { addClientTlsOptions, clientTlsFlags, dataFlag, fileError, type ClientTlsFlags } from '../options.js';
import { jsonLine, prettyJson, useColor } from '../output/json.js';
import { formatTiming } from '../output/timing.js';

interface GetFlags extends ClientTlsFlags {
  method?: string;
  header?: string[];
  data?: string;
  jsonBody?: string;
  include?: boolean;
  timing?: boolean;
  json?: boolean;
  timeout?: string;
  maxRedirects?: string;
  retry?: string;
  checkStatus?: boolean;
  output?: string;
  raw?: boolean;
  http2?: boolean;
  maxBody?: string;
}

export function registerGet(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const cmd = program
    .command('get')
    .summary('fetch a JSON API (or any URL) and show where the time went')
    .description(
      'Request URL and print the body: JSON pretty-printed (in colour on a terminal unless NO_COLOR is set), ' +
        'other text as it is; binary bodies are not written to a terminal (use --output FILE, or a pipe).\n\n' +
        'Redirects are followed (--max-redirects); idempotent requests can be retried (--retry) on connection ' +
        'errors, 429 and 5xx, with backoff and jitter, honouring Retry-After. Proxies from HTTP_PROXY, HTTPS_PROXY ' +
        'and NO_PROXY. Exit 0 whatever the status, unless --check-status.',
    )
    .argument('<url>', 'http:// or https:// URL')
    .option('-X, --method <method>', 'request method (default GET, or POST with a body)')
    .option('-H, --header <header>', "add a header, 'Name: value' (repeat for more)", (v: string, prev: string[] = []) => [...prev, v])
    .option('-d, --data <data>', 'request body, as is; @FILE reads it from a file')
    .option('--json-body <json>', 'request body as JSON (checked), with Content-Type: application/json')
    .option('-i, --include', 'print the status line and headers first (each redirect too)')
    .option('--timing', 'print where the time went (DNS, TCP, TLS, server, transfer) on stderr, like httpstat')
    .option('--json', 'print one JSON document: status, headers, redirects, timing and the body (parsed if JSON)')
    .option('-t, --timeout <duration>', `connect timeout, and the limit for each attempt (default ${formatDuration(GET_DEFAULTS.timeoutMs)})`)
    .option('--max-redirects <n>', `redirects to follow; 0 shows the first response (default ${GET_DEFAULTS.maxRedirects})`)
    .option('--retry <n>', 'retries for idempotent requests on connection errors, 429 and 5xx (default 0)')
    .option('--check-status', 'exit 3 for a 3xx left unfollowed, 4 for 4xx, 5 for 5xx')
    .option('-o, --output <file>', 'write the body to FILE instead of stdout')
    .option('--max-body <size>', `largest body kept to print, once decoded (default ${formatSize(GET_DEFAULTS.maxBodyBytes)}; --output has no limit)`)
    .option('--raw', 'keep the body as it came: do not ask for or decode gzip, deflate or br')
    .option('--http2', 'HTTP/2: offered to https:// (ALPN; the server may still answer HTTP/1.1, -i shows which), spoken from the first byte to http:// (h2c, as curl --http2-prior-knowledge)');
  addClientTlsOptions(cmd).action((url: string, flags: GetFlags) => setExit(runGet(url, flags, io)));
}

async function runGet(url: string, flags: GetFlags, io: CliIo): Promise<number> {
  const options: GetOptions = { env: io.env };
  if (flags.method !== undefined) options.method = flags.method;
  if (flags.header !== undefined) options.headers = flags.header;
  if (flags.data !== undefined && flags.jsonBody !== undefined) throw new InvalidArgumentError('conflicting options: --data and --json-body (give one body)');
  if (flags.data !== undefined) options.data = dataFlag(flags.data, '--data');
  if (flags.jsonBody !== undefined) {
    try {
      options.json = JSON.parse(flags.jsonBody) as unknown;
    } catch {
      throw new InvalidArgumentError(`invalid --json-body: not JSON: ${flags.jsonBody.slice(0, 60)}`);
    }
  }
  // As typed: get() validates them once and names what is wrong.
  options.timeout = flags.timeout;
  options.maxRedirects = flags.maxRedirects;
  options.retry = flags.retry;
  options.tls = clientTlsFlags(flags);
  options.maxBody = flags.maxBody;
  options.raw = flags.raw;
  options.http2 = flags.http2;
  options.onRetry = (r) => say(io, `retrying in ${formatDuration(r.delayMs)} (attempt ${r.attempt} got ${r.reason})`);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  options.signal = abort.signal;

  // --output: the body is streamed to the file as it arrives; a failed request leaves no file behind.
  const file = flags.output === undefined ? null : await openOutput(flags.output);
  if (file !== null) options.output = file;
  let res: GetResponse;
  try {
    res = await get(url, options);
    if (file !== null) await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    if (file !== null && flags.output !== undefined) {
      file.destroy();
      rmSync(flags.output, { force: true });
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }

  const contentType = String(res.headers['content-type'] ?? '');
  const isJson = /[/+]json\b/i.test(contentType);
  let parsed: unknown;
  let jsonOk = false;
  if (isJson || (contentType === '' && /^\s*[[{]/.test(res.body.toString('utf8', 0, 64)))) {
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
      jsonOk = true;
    } catch {
      jsonOk = false;
    }
  }
  const text = decodeText(res.body);

  let delivered = true;
  if (flags.json) {
    io.stdout.write(
      jsonLine({
        url: res.url,
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
        redirects: res.redirects,
        attempts: res.attempts,
        timing: res.timing,
        bodyBytes: res.bodyBytes,
        ...(flags.output !== undefined
          ? { output: flags.output }
          : jsonOk
            ? { body: parsed }
            : text !== null
              ? { body: text }
              : { bodyBase64: res.body.toString('base64') }),
      }),
    );
  } else {
    const stdoutTty = Boolean((io.stdout as NodeJS.WriteStream).isTTY);
    const color = useColor(stdoutTty, io.env);
    if (flags.include) {
      for (const hop of [...res.redirects, res]) io.stdout.write(`${statusBlock(hop)}\n`);
    }
    if (flags.output !== undefined) {
      // Already written.
    } else if (jsonOk) {
      io.stdout.write(`${prettyJson(parsed, color)}\n`);
    } else if (text !== null) {
      io.stdout.write(text.length > 0 && !text.endsWith('\n') && stdoutTty ? `${text}\n` : text);
    } else if (stdoutTty) {
      say(io, `binary body (${res.body.length} bytes${contentType ? `, ${contentType}` : ''}) not written to a terminal: use --output FILE or a pipe`);
      delivered = false;
    } else {
      io.stdout.write(res.body);
    }
  }
  if (flags.timing) io.stderr.write(`\n${formatTiming(res.timing, new URL(res.url).protocol === 'https:')}\n`);

  if (flags.checkStatus && res.status >= 300) {
    const klass = Math.floor(res.status / 100);
    say(io, `HTTP ${res.status} ${res.statusText}`.trim());
    if (klass === 3) return 3;
    if (klass === 4) return 4;
    if (klass === 5) return 5;
  }
  return delivered ? EXIT.OK : EXIT.FAILURE;
}

/** Open --output for writing now, so a bad path is a usage error before any request. */
function openOutput(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path);
    stream.once('open', () => {
      stream.removeAllListeners('error');
      // A write error later (disk full) fails the request through end()'s callback, not the process.
      stream.on('error', () => {});
      resolve(stream);
    });
    stream.once('error', (err) => reject(new InvalidArgumentError(`cannot write --output "${path}": ${fileError(err)}`)));
  });
}

function statusBlock(hop: Hop): string {
  const lines = [`HTTP/${hop.httpVersion} ${hop.status} ${hop.statusText}`.trimEnd()];
  for (const [k, v] of Object.entries(hop.headers)) for (const value of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${value}`);
  return `${lines.join('\n')}\n`;
}

/** UTF-8 text, or null for bytes that are not (binary). */
function decodeText(body: Buffer): string | null {
  if (body.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return null;
  }
}
