/**
 * benchRelay(): measure a relay's fan-out. Publishers send at a fixed rate to their rooms; every delivery to every
 * subscriber (on this instance or the others given) is checked: bytes, order per publisher, exactly once.
 */
import { resolveHost } from '../../client/connect.js';
import type { Endpoint } from '../../endpoint.js';
import { FanoutRun } from './fanout.js';
import { resolveRelayBenchOptions, type RelayBenchOptions } from './options.js';
import { buildRelayResult, type RelayBenchResult } from './result.js';

/**
 * Run a fan-out benchmark against the relay at `url` (ws, wss, tcp or tls). Check `result.errors`: lost,
 * duplicated, reordered or altered deliveries, and members the relay closed.
 * @throws ERR_NETECHO_INVALID_ARGUMENT and the URL errors for bad options; the connect errors when members cannot
 *   be opened; ERR_NETECHO_TIMEOUT when subscribers do not hear their room's publishers before the load starts
 */
export async function benchRelay(url: string | Endpoint, options: RelayBenchOptions = {}): Promise<RelayBenchResult> {
  const config = resolveRelayBenchOptions(url, options);
  for (const e of config.subscribeEndpoints) await resolveHost(e);
  const run = new FanoutRun(config);
  try {
    await run.connect(options.signal);
    await run.probe(options.signal);
    return buildRelayResult(config, await run.run(options.signal));
  } finally {
    run.close();
  }
}
