/**
 * A bench report: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched) with each run's
 * settings and results, the rate over time, and the latency percentile curves side by side. Every number shown is
 * the result's own (each cell carries its JSON field in data-field, so a test can check them against the JSON).
 */
import type { BenchResult } from '../result.js';
import { escapeHtml } from './escape.js';
import { lineChart, percentileChart } from './plots.js';

export interface ReportOptions {
  /** The page title. Default "netecho bench". */
  title?: string;
  /** A name for each run (default: its URL, or the file it came from). */
  names?: string[];
}

const CSS = `
body { margin: 0 auto; max-width: 60rem; padding: 1rem; font: 15px/1.45 system-ui, sans-serif; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #d5d9de; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { width: 100%; height: auto; max-width: 640px; display: block; }
.bad { color: #b3261e; font-weight: 600; }
.muted { color: #5b6470; }
`;

/** The rows of the results table: label, JSON path, value formatter. */
const ROWS: Array<[string, string, (r: BenchResult) => number | string | null]> = [
  ['URL', 'url', (r) => r.url],
  ['mode', 'mode', (r) => r.mode],
  ['connections (opened)', 'connected', (r) => r.connected],
  ['message size (bytes)', 'size', (r) => r.size],
  ['target rate (messages/s)', 'rate', (r) => r.rate || '–'],
  ['measured (ms)', 'durationMs', (r) => r.durationMs],
  ['round trips', 'roundTrips', (r) => r.roundTrips],
  ['round trips/s', 'roundTripsPerSec', (r) => r.roundTripsPerSec],
  ['echoed bytes/s', 'bandwidthBytesPerSec', (r) => r.bandwidthBytesPerSec],
  ['latency p50 (µs)', 'latencyUs.p50', (r) => r.latencyUs?.p50 ?? null],
  ['latency p90 (µs)', 'latencyUs.p90', (r) => r.latencyUs?.p90 ?? null],
  ['latency p99 (µs)', 'latencyUs.p99', (r) => r.latencyUs?.p99 ?? null],
  ['latency p99.9 (µs)', 'latencyUs.p999', (r) => r.latencyUs?.p999 ?? null],
  ['latency max (µs)', 'latencyUs.max', (r) => r.latencyUs?.max ?? null],
  ['errors', 'errors.total', (r) => r.errors.total],
  ['mismatches', 'errors.mismatches', (r) => r.errors.mismatches],
  ['timeouts', 'errors.timeouts', (r) => r.errors.timeouts],
  ['resets', 'errors.resets', (r) => r.errors.resets],
  ['client CPU (% of a core)', 'clientCpuPercent', (r) => r.clientCpuPercent],
];

export function renderReport(results: readonly BenchResult[], options: ReportOptions = {}): string {
  const title = options.title ?? 'netecho bench';
  const names = results.map((r, i) => options.names?.[i] ?? r.url);
  const head = `<tr><th>run</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`;
  const body = ROWS.map(([label, field, get]) => {
    const cells = results.map((r) => {
      const v = get(r);
      const text = v === null ? '–' : typeof v === 'number' ? v.toLocaleString('en-US') : v;
      const bad = field.startsWith('errors') && typeof v === 'number' && v > 0 ? ' bad' : '';
      return `<td class="${typeof v === 'number' ? 'n' : ''}${bad}" data-field="${field}" data-value="${escapeHtml(String(v ?? ''))}">${escapeHtml(text)}</td>`;
    });
    return `<tr><th>${escapeHtml(label)}</th>${cells.join('')}</tr>`;
  }).join('\n');
  const timelines = results.map((r, i) => ({ name: names[i] ?? '', points: (r.timeline ?? []).map((t): [number, number] => [t.t, t.roundTripsPerSec]) }));
  const curves = results.flatMap((r, i) => (r.latencyCurve === null || r.latencyCurve === undefined ? [] : [{ name: names[i] ?? '', curve: r.latencyCurve }]));
  const rate = timelines.some((t) => t.points.length > 0)
    ? lineChart(timelines, 'seconds since the load started (warm-up included)', 'round trips/s')
    : '<p class="muted">No timeline in these results.</p>';
  const latency = curves.length > 0 ? percentileChart(curves) : '<p class="muted">No latency recorded (stream mode, or nothing completed).</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${results.length} run(s). Every echoed byte was checked; errors are in red.</p>
<h2>Results</h2>
<table id="results">
<thead>${head}</thead>
<tbody>
${body}
</tbody>
</table>
<h2>Rate over time</h2>
<figure id="rate">${rate}</figure>
<h2>Latency by percentile</h2>
<figure id="latency">${latency}</figure>
</body>
</html>
`;
}
