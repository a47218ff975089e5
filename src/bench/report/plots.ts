/**
 * Inline SVG plots for bench reports: a line chart (rate over time) and an HDR-style latency percentile chart (the
 * x axis spreads the tail: 0%, 90%, 99%, 99.9%... are equally spaced, up to 99.999%). Plain strings, no script.
 */
import { escapeHtml } from './escape.js';

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLORS = ['#0b63c5', '#d1495b', '#2a9d5c', '#8a5cc2', '#e07b00', '#00838f'];
const W = 640;
const H = 280;
const M = { left: 64, right: 32, top: 16, bottom: 40 };

/** A round step for an axis from 0 to `max` with about 5 ticks. */
function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(Math.round(v * 100) / 100));

interface Axis {
  min: number;
  max: number;
  ticks: Array<{ value: number; label: string }>;
  title: string;
}

function chart(series: Series[], x: Axis, y: Axis, label: string): string {
  const sx = (v: number): number => M.left + ((v - x.min) / (x.max - x.min || 1)) * (W - M.left - M.right);
  const sy = (v: number): number => H - M.bottom - ((v - y.min) / (y.max - y.min || 1)) * (H - M.top - M.bottom);
  // Presentation attributes, not CSS: the same SVG stands alone (docs/plots/*.svg) or inside a report.
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(label)}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  for (const t of y.ticks) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t.value).toFixed(1)}" y2="${sy(t.value).toFixed(1)}" stroke="#e6e8eb"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(sy(t.value) + 4).toFixed(1)}" text-anchor="end" fill="#5b6470">${escapeHtml(t.label)}</text>`);
  }
  for (const t of x.ticks) parts.push(`<text x="${sx(t.value).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" fill="#1b1f24">${escapeHtml(x.title)}</text>`);
  parts.push(`<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" fill="#1b1f24" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${escapeHtml(y.title)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const pts = s.points.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2" data-series="${escapeHtml(s.name)}"/>`);
    parts.push(`<rect x="${M.left + 8}" y="${M.top + 4 + i * 16}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${M.left + 22}" y="${M.top + 13 + i * 16}" fill="#1b1f24">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Values over time: x in seconds. */
export function lineChart(series: Series[], xTitle: string, yTitle: string): string {
  const xs = series.flatMap((s) => s.points.map(([a]) => a));
  const ys = series.flatMap((s) => s.points.map(([, b]) => b));
  const xMax = Math.max(1, ...xs);
  const yStep = niceStep(Math.max(1, ...ys));
  const yMax = Math.ceil(Math.max(1, ...ys) / yStep) * yStep;
  const xStep = niceStep(xMax);
  const xTicks = Array.from({ length: Math.floor(xMax / xStep) + 1 }, (_, i) => ({ value: i * xStep, label: fmt(i * xStep) }));
  const yTicks = Array.from({ length: Math.round(yMax / yStep) + 1 }, (_, i) => ({ value: i * yStep, label: fmt(i * yStep) }));
  return chart(series, { min: 0, max: xMax, ticks: xTicks, title: xTitle }, { min: 0, max: yMax, ticks: yTicks, title: yTitle }, `${yTitle} over ${xTitle}`);
}

/** Where a percentile sits on the tail axis: 0 for 0%, 1 for 90%, 2 for 99%... */
export const tailPosition = (percentile: number): number => (percentile >= 100 ? 5 : Math.min(5, -Math.log10(1 - percentile / 100)));

/** Latency by percentile (µs in, ms shown), the tail spread out to 99.999%. */
export function percentileChart(curves: Array<{ name: string; curve: Array<{ percentile: number; us: number }> }>): string {
  const series = curves.map((c) => ({ name: c.name, points: c.curve.filter((p) => p.percentile < 100).map((p): [number, number] => [tailPosition(p.percentile), p.us / 1000]) }));
  const ys = series.flatMap((s) => s.points.map(([, b]) => b));
  const yStep = niceStep(Math.max(0.001, ...ys));
  const yMax = Math.ceil(Math.max(0.001, ...ys) / yStep) * yStep;
  const xTicks = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'].map((label, i) => ({ value: i, label }));
  const yTicks = Array.from({ length: Math.round(yMax / yStep) + 1 }, (_, i) => ({ value: i * yStep, label: fmt(i * yStep) }));
  return chart(series, { min: 0, max: 5, ticks: xTicks, title: 'percentile' }, { min: 0, max: yMax, ticks: yTicks, title: 'latency (ms)' }, 'latency by percentile');
}
