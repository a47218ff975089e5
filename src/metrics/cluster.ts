/**
 * Metrics for a service in N worker processes (--workers): each worker hands its registry to prom-client's cluster
 * support, and the primary serves one endpoint that asks every worker at each scrape and sums them (counters and
 * gauges summed; Node's process metrics aggregated as prom-client defines).
 */
import { listenMetrics, type MetricsEndpoint } from './endpoint.js';
import { createMetrics, promClient, type MetricsSource } from './registry.js';

/** In a worker: answer the primary's scrapes with this server's metrics. */
export function shareMetricsWithPrimary(server: MetricsSource): void {
  // prom-client answers the primary's requests once an AggregatorRegistry exists in the worker.
  const { AggregatorRegistry } = promClient();
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([createMetrics(server)]);
}

/** In the primary: the endpoint at `url`, summing every worker. */
export function listenClusterMetrics(url: string): Promise<MetricsEndpoint> {
  const aggregator = new (promClient().AggregatorRegistry)();
  return listenMetrics(url, async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }));
}
