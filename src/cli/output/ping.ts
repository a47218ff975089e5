/** ping mode's summary, as ping(8) prints it. */
import type { PingSummary } from '../../client/ping.js';

export function formatPingSummary(summary: PingSummary, verify: boolean): string {
  const lines = [
    `--- ${summary.url} echo statistics ---`,
    `${summary.sent} sent, ${summary.received} received, ${formatPercent(summary.lossPercent)} loss, time ${Math.round(summary.elapsedMs)} ms`,
  ];
  if (summary.rtt !== null) {
    const r = summary.rtt;
    lines.push(`rtt min/avg/max/stddev = ${[r.min, r.avg, r.max, r.stddev].map((v) => v.toFixed(3)).join('/')} ms`);
  }
  if (verify) lines.push(`${summary.mismatches} echo(es) differed from what was sent`);
  return `${lines.join('\n')}\n`;
}

function formatPercent(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}
