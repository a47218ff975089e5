/**
 * ping() over UDP: one probe per interval, each on its own socket (so a reply that comes late is discarded with
 * its socket instead of being taken for a later probe's). Loss is normal here and is counted, not thrown.
 */
import { performance } from 'node:perf_hooks';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromConnectError, type NetechoError } from '../errors.js';
import { resolveHost } from './connect.js';
import { RttRecorder, pause, pingSummary, type PingSettings, type PingSummary } from './ping-summary.js';
import { checkDatagram, probeUdp } from './udp.js';


export async function pingUdp(endpoint: Endpoint, s: PingSettings): Promise<PingSummary> {
  checkDatagram(s.payload);
  const target = formatEndpoint(endpoint);
  // A name that does not resolve is an error at once (exit 68), not a run of lost probes.
  await resolveHost(endpoint);
  const start = performance.now();
  const rtt = new RttRecorder();
  let sent = 0;
  let lost = 0;
  let mismatches = 0;
  let error: NetechoError | null = null;
  const inFlight: Promise<void>[] = [];

  const probe = async (seq: number): Promise<void> => {
    try {
      const r = await probeUdp(endpoint, s.payload, s.timeoutMs);
      if (r === null) {
        lost++;
        s.onReply?.({ seq, bytes: s.payload.length, rttMs: null, match: true });
        return;
      }
      const match = !s.verify || r.echo.equals(s.payload);
      if (!match) mismatches++;
      rtt.add(r.rttMs);
      s.onReply?.({ seq, bytes: r.echo.length, rttMs: r.rttMs, match });
    } catch (err) {
      lost++;
      error ??= fromConnectError(err, target);
    }
  };

  while (sent < s.count && !s.signal?.aborted && error === null) {
    sent++;
    inFlight.push(probe(sent));
    if (sent >= s.count) break;
    const wait = start + sent * s.intervalMs - performance.now();
    if (wait > 0) await pause(wait, s.signal);
  }
  await Promise.all(inFlight);
  return pingSummary({ url: target, sent, received: rtt.count, lost, mismatches, connectMs: 0, elapsedMs: performance.now() - start, rtt: rtt.stats(), error });
}
