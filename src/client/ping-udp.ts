/**
 * ping() over UDP: one probe per interval, each on its own socket (so a reply that comes late is discarded with
 * its socket instead of being taken for a later probe's). Loss is normal here and is counted, not thrown.
 */
import { performance } from 'node:perf_hooks';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { fromConnectError, type NetechoError } from '../errors.js';
import { resolveHost } from './connect.js';
import { pingSummary, type PingReply, type PingSummary } from './ping.js';
import { checkDatagram, probeUdp } from './udp.js';

export interface UdpPingSettings {
  count: number;
  intervalMs: number;
  timeoutMs: number;
  payload: Buffer;
  verify: boolean;
  signal?: AbortSignal | undefined;
  onReply?: ((reply: PingReply) => void) | undefined;
}

export async function pingUdp(endpoint: Endpoint, s: UdpPingSettings): Promise<PingSummary> {
  checkDatagram(s.payload);
  const target = formatEndpoint(endpoint);
  // A name that does not resolve is an error at once (exit 68), not a run of lost probes.
  await resolveHost(endpoint);
  const start = performance.now();
  const rtts: number[] = [];
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
      rtts.push(r.rttMs);
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
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done(): void {
          clearTimeout(timer);
          s.signal?.removeEventListener('abort', done);
          resolve();
        }
        s.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
  await Promise.all(inFlight);
  const received = rtts.length;
  const sum = rtts.reduce((a, b) => a + b, 0);
  const avg = received > 0 ? sum / received : 0;
  const variance = received > 0 ? rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / received : 0;
  const rtt = received > 0 ? { min: Math.min(...rtts), avg, max: Math.max(...rtts), stddev: Math.sqrt(variance) } : null;
  return pingSummary({ url: target, sent, received, lost, mismatches, connectMs: 0, elapsedMs: performance.now() - start, rtt, error });
}
