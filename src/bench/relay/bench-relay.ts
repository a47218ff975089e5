/**
 * benchRelay(): measure a relay's fan-out. Publishers send at a fixed rate to their rooms; every delivery to every
 * subscriber (on this instance or the others given) is checked: bytes, order per publisher, exactly once.
 */
import { resolveHost } from '../../client/connect.js';
import type { Endpoint } from '../../endpoint.js';
import { FanoutRun } from './fanout.js';
import { dialMember, type BenchMember, type DialMember } from './members.js';
import { resolveRelayBenchOptions, type RelayBenchOptions } from './options.js';
import { buildRelayResult, type RelayBenchResult } from './result.js';

export interface RelayBenchHooks {
  /** The warm-up is over: the measured window starts. */
  onMeasuring?: () => void;
  /** The measured window is over (deliveries still on their way are awaited after it). */
  onStopped?: () => void;
  /**
   * How to open a member of a room: netecho's relay protocol by default (the room in the WebSocket path, or
   * /join over lines). Another server's protocol (Socket.IO's, for a comparison) goes here.
   */
  dial?: (o: DialMember) => Promise<BenchMember>;
}

export type { BenchMember, DialMember, MemberHandlers } from './members.js';

/**
 * Run a fan-out benchmark against the relay at `url` (ws, wss, tcp or tls). Check `result.errors`: lost,
 * duplicated, reordered or altered deliveries, and members the relay closed.
 * @throws ERR_NETECHO_INVALID_ARGUMENT and the URL errors for bad options; the connect errors when members cannot
 *   be opened; ERR_NETECHO_TIMEOUT when subscribers do not hear their room's publishers before the load starts
 */
export async function benchRelay(url: string | Endpoint, options: RelayBenchOptions = {}, hooks: RelayBenchHooks = {}): Promise<RelayBenchResult> {
  const config = resolveRelayBenchOptions(url, options);
  for (const e of config.subscribeEndpoints) await resolveHost(e);
  const run = new FanoutRun(config, hooks.dial ?? dialMember);
  try {
    await run.connect(options.signal);
    await run.probe(options.signal);
    return buildRelayResult(config, await run.run(options.signal, hooks));
  } finally {
    run.close();
  }
}
