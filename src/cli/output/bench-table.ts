/** bench's result as the table printed on stdout. */
import type { BenchResult } from '../../bench/result.js';
import { formatSize } from '../../units.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const us = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x} µs`);

/** The human table printed on stdout. */
export function formatBenchResult(r: BenchResult): string {
  const mode =
    r.mode === 'closed'
      ? 'closed loop'
      : r.mode === 'pipeline'
        ? `pipeline ${r.pipeline}`
        : r.mode === 'rate'
          ? `fixed rate ${n(r.rate)}/s`
          : 'streaming';
  const lines = [
    `netecho bench ${r.url}: ${mode}, ${n(r.connections)} connection(s), ${formatSize(r.size)} ${r.mode === 'stream' ? 'writes' : 'messages'}, ` +
      `${(r.durationMs / 1000).toFixed(1)} s measured${r.warmupMs > 0 ? ` after ${(r.warmupMs / 1000).toFixed(1)} s warm-up` : ''}` +
      `${r.workers > 1 ? `, ${r.workers} workers` : ''}`,
    '',
  ];
  if (r.mode !== 'stream') lines.push(`  round trips   ${n(r.roundTrips)} (${n(r.roundTripsPerSec)}/s)`);
  lines.push(`  bandwidth     ${formatSize(r.bandwidthBytesPerSec)}/s echoed (${formatSize(r.bytesReceived)} in all)`);
  if (r.latencyUs !== null) {
    const l = r.latencyUs;
    lines.push(`  latency       p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}  max ${us(l.max)}`);
  }
  const e = r.errors;
  lines.push(
    `  errors        ${e.total}` +
      (e.total > 0
        ? ` (mismatches ${e.mismatches}, short reads ${e.shortReads}, closed ${e.closed}, resets ${e.resets}, timeouts ${e.timeouts}, connect ${e.connect}, reset at open ${e.resetAtOpen}${r.httpStatuses !== null ? `, HTTP 3xx ${r.httpStatuses['3xx']} 4xx ${r.httpStatuses['4xx']} 5xx ${r.httpStatuses['5xx']}` : ''})`
        : ''),
  );
  if (r.datagrams !== null) {
    lines.push(`  datagrams     ${n(r.datagrams.lost)} lost (${r.datagrams.lossPercent}%), ${n(r.datagrams.reordered)} reordered`);
  }
  lines.push(`  connections   ${n(r.connected)} of ${n(r.connections)} opened${e.resetAtOpen > 0 ? `, ${n(e.resetAtOpen)} reset by the server as they opened` : ''}`);
  lines.push(`  client CPU    ${r.clientCpuPercent}% of one core`);
  return `${lines.join('\n')}\n`;
}
