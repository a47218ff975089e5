/**
 * The metrics endpoint: its own HTTP listener (never one of the echo ports), answering GET on one path with the
 * Prometheus text exposition, 404 elsewhere and 405 for other methods. `http://127.0.0.1:9464/metrics` by default.
 */
import http from 'node:http';
import { fromListenError } from '../errors.js';
import { createMetrics, type MetricsOptions, type MetricsSource } from './registry.js';
import { DEFAULT_METRICS_URL, parseMetricsUrl } from './url.js';

export interface MetricsEndpoint {
  /** Where it listens, with the real port: http://HOST:PORT/PATH. */
  readonly url: string;
  close(): Promise<void>;
}

/** What the endpoint serves at each scrape. */
export type Exposition = () => Promise<{ contentType: string; body: string }>;

/**
 * Listen for scrapes at `url`.
 * @throws ERR_NETECHO_INVALID_ARGUMENT; ERR_NETECHO_ADDRESS_IN_USE, ERR_NETECHO_PERMISSION_DENIED, ERR_NETECHO_ADDRESS_UNAVAILABLE
 */
export async function listenMetrics(url: string, expose: Exposition): Promise<MetricsEndpoint> {
  const { host, port, path } = parseMetricsUrl(url);
  const server = http.createServer((req, res) => {
    const target = (req.url ?? '/').split('?')[0];
    if (target !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: metrics are at ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    expose().then(
      ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics could not be collected: ${err.message}\n`),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(fromListenError(err, url)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const realPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${realPort}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The endpoint for one server's registry. */
export function registryExposition(registry: { contentType: string; metrics(): Promise<string> }): Exposition {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

/**
 * Serve `server`'s metrics at `listen` (default http://127.0.0.1:9464/metrics; port 0 for any free one).
 *
 * ```ts
 * const server = await serve({ listen: 'tcp://127.0.0.1:0' });
 * const metrics = await serveMetrics(server, { listen: 'http://127.0.0.1:0/metrics' });
 * console.log(metrics.url); // scrape it
 * ```
 */
export async function serveMetrics(server: MetricsSource, options: MetricsOptions & { listen?: string } = {}): Promise<MetricsEndpoint> {
  const registry = createMetrics(server, options);
  return listenMetrics(options.listen ?? DEFAULT_METRICS_URL, registryExposition(registry));
}
