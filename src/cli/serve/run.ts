/**
 * A service in one process (serve or relay): log its certificate, print where it listens (stdout: one URL a line, or
 * one JSON object), drain on the first SIGINT/SIGTERM, close at once on a second, and log the last line, "stopped".
 */
import type { Logger } from 'pino';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { writeCertificate } from './service-flags.js';
import { SIGNAL_EXIT, onStopSignals } from './signals.js';
import { formatDuration } from '../../units.js';
import type { MetricsEndpoint } from '../../metrics/endpoint.js';
import type { MetricsSource } from '../../metrics/registry.js';

/** What run() needs of a server: serve()'s EchoServer and relay()'s RelayServer both are one. */
export interface Service extends MetricsSource {
  readonly addresses: string[];
  readonly connections: number;
  readonly limits: { readonly drainTimeoutMs: number };
  readonly certificate: { readonly pem: string; readonly fingerprint256: string; readonly selfSigned: boolean } | null;
  once(event: 'closed', listener: () => void): unknown;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface RunOptions {
  log: Logger;
  io: CliIo;
  json: boolean;
  certOut: string | undefined;
  /** The fields of the last line, once closed. */
  stopFields: () => Record<string, unknown>;
  /** More to print in the --json document. */
  extra?: Record<string, unknown>;
  /** --metrics URL. */
  metrics?: string;
}

/** The metrics endpoint of `server` at `url` (prom-client loaded only then); the server destroyed if it cannot start. */
export async function startMetrics(server: Service, url: string, log: Logger): Promise<MetricsEndpoint> {
  try {
    const { serveMetrics } = await import('../../metrics/endpoint.js');
    const endpoint = await serveMetrics(server, { listen: url });
    log.info(`metrics on ${endpoint.url}`);
    return endpoint;
  } catch (err) {
    await server.destroy();
    throw err;
  }
}

/** Run `server` until a signal; resolves with the exit code. */
export async function runService(server: Service, o: RunOptions): Promise<number> {
  const { log, io } = o;
  const certificate = server.certificate;
  if (certificate?.selfSigned) log.info(`self-signed certificate, SHA-256 fingerprint ${certificate.fingerprint256}`);
  if (o.certOut !== undefined) writeCertificate(o.certOut, certificate?.pem ?? null, log);
  const closed = new Promise<void>((resolve) => server.once('closed', resolve));
  const metrics = o.metrics === undefined ? null : await startMetrics(server, o.metrics, log);
  let exitCode: number = EXIT.OK;
  // Handlers before the URL is printed: whoever reads it may signal at once.
  const removeSignals = onStopSignals((signal, n) => {
    if (n === 1) {
      // Close first, then say so: whoever reads the line may rely on new connections being refused.
      void server.close();
      log.warn(`${signal}: draining ${server.connections} connection(s), at most ${formatDuration(server.limits.drainTimeoutMs)}; signal again to close at once`);
    } else {
      exitCode = SIGNAL_EXIT[signal];
      log.warn(`${signal}: closing all connections now`);
      void server.destroy();
    }
  });
  for (const url of server.addresses) log.info(`listening on ${url}`);
  const doc = { addresses: server.addresses, ...(certificate !== null && { fingerprint256: certificate.fingerprint256 }), ...(metrics !== null && { metrics: metrics.url }), ...o.extra };
  io.stdout.write(o.json ? `${JSON.stringify(doc)}\n` : server.addresses.map((a) => `${a}\n`).join(''));
  await closed;
  removeSignals();
  await metrics?.close();
  log.info(o.stopFields(), 'stopped');
  return exitCode;
}
