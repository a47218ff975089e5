/** bench --relay's result as the table printed on stdout. */
import type { RelayBenchResult } from '../../bench/relay/result.js';
import { formatSize } from '../../units.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const us = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x} µs`);

export function formatRelayBenchResult(r: RelayBenchResult): string {
  const where = r.subscribeUrls.length > 1 ? ` (subscribers over ${r.subscribeUrls.length} instances)` : '';
  const lines = [
    `netecho bench --relay ${r.url}: ${n(r.rooms)} room(s) x ${n(r.publishers)} publisher(s) x ${n(r.subscribers)} subscriber(s)${where}, ` +
      `${n(r.rate)} msg/s per publisher, ${formatSize(r.size)} messages, ${(r.durationMs / 1000).toFixed(1)} s measured` +
      `${r.warmupMs > 0 ? ` after ${(r.warmupMs / 1000).toFixed(1)} s warm-up` : ''}`,
    '',
    `  published     ${n(r.published)} message(s)`,
    `  deliveries    ${n(r.delivered)} of ${n(r.expectedDeliveries)} (${n(r.deliveriesPerSec)}/s)`,
  ];
  if (r.latencyUs !== null) {
    const l = r.latencyUs;
    lines.push(`  latency       p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}  max ${us(l.max)} (publish to each delivery)`);
  }
  lines.push(
    `  errors        ${r.errors}` +
      (r.errors > 0 ? ` (lost ${n(r.lost)}, duplicated ${n(r.duplicated)}, reordered ${n(r.reordered)}, mismatched ${n(r.mismatched)}, closed ${n(r.closed)})` : ''),
  );
  lines.push(`  connections   ${n(r.connections)}`);
  lines.push(`  client CPU    ${r.clientCpuPercent}% of one core`);
  return `${lines.join('\n')}\n`;
}
