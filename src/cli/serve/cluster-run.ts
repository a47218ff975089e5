/**
 * A service in N worker processes (serve --workers, relay --workers): the primary makes one throwaway certificate
 * for all (when asked for one), supervises the workers and prints where they listen; each worker runs the service,
 * reports to the primary, and drains when it asks, when SIGTERM is sent to it alone, or when the primary goes away.
 */
import type { Logger } from 'pino';
import type { ServedCertificate } from '../../server/certificate.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { MetricsEndpoint } from '../../metrics/endpoint.js';
import type { Service } from './run.js';
import { writeCertificate } from './service-flags.js';
import { onStopSignals } from './signals.js';
import { supervise } from './supervisor.js';
import { PrimaryLink, reportListening, workerTlsEnv } from './worker.js';

/** A worker: start the service, report to the primary, and run until it is drained. */
export async function runAsWorker<S extends Service>(start: () => Promise<S>, log: Logger, stopFields: (server: S) => Record<string, unknown>, metrics = false): Promise<number> {
  const primary = new PrimaryLink(log);
  // SIGINT from a terminal reaches the whole process group: the primary decides. SIGTERM sent to this worker
  // alone drains it (the primary then replaces it).
  const removeSignals = onStopSignals(() => primary.stopSelf(), ['SIGTERM']);
  const ignoreInterrupt = (): void => {};
  process.on('SIGINT', ignoreInterrupt);
  const server = await start();
  // --metrics: the primary scrapes each worker over IPC and sums them.
  if (metrics) (await import('../../metrics/cluster.js')).shareMetricsWithPrimary(server);
  const closed = new Promise<void>((resolve) => server.once('closed', resolve));
  primary.attach(server);
  reportListening(server.addresses);
  await closed;
  removeSignals();
  process.removeListener('SIGINT', ignoreInterrupt);
  log.info(stopFields(server), 'stopped');
  return EXIT.OK;
}

export interface PrimaryOptions {
  count: number;
  log: Logger;
  io: CliIo;
  json: boolean;
  certOut: string | undefined;
  /** The certificate the workers serve (made or loaded once, here), or null without TLS. */
  material: ServedCertificate | null;
  /** --metrics URL: one endpoint here, summing the workers. */
  metrics?: string;
}

/** The primary: supervise `count` workers until a signal; resolves with the exit code. */
export async function runAsPrimary(o: PrimaryOptions): Promise<number> {
  const { log, material } = o;
  if (o.certOut !== undefined) writeCertificate(o.certOut, material?.certPem ?? null, log);
  let env: Record<string, string> | undefined;
  if (material?.selfSigned) {
    log.info(`self-signed certificate, SHA-256 fingerprint ${material.fingerprint256}`);
    env = workerTlsEnv({ cert: material.certPem, key: material.keyPem });
  }
  const fingerprint256 = material?.fingerprint256;
  let metrics: MetricsEndpoint | null = null;
  if (o.metrics !== undefined) {
    metrics = await (await import('../../metrics/cluster.js')).listenClusterMetrics(o.metrics);
    log.info(`metrics on ${metrics.url} (summed over the workers)`);
  }
  const metricsUrl = metrics?.url;
  const result = await supervise({
    count: o.count,
    log,
    ...(env !== undefined && { env }),
    onReady: (addresses) => {
      for (const url of addresses) log.info(`listening on ${url} with ${o.count} workers`);
      const doc = { addresses, workers: o.count, ...(fingerprint256 !== undefined && { fingerprint256 }), ...(metricsUrl !== undefined && { metrics: metricsUrl }) };
      o.io.stdout.write(o.json ? `${JSON.stringify(doc)}\n` : addresses.map((a) => `${a}\n`).join(''));
    },
  });
  await metrics?.close();
  log.info({ 'workers.died': result.died, 'workers.replaced': result.replaced }, 'stopped');
  return result.exitCode;
}
