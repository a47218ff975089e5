/** The --timing breakdown, drawn like httpstat: the phases side by side, then the cumulative marks. */
import type { Timing } from '../../http-client/timing.js';

const ms = (x: number): string => (x >= 100 ? `${Math.round(x)}ms` : `${x.toFixed(1)}ms`);

function center(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return `${' '.repeat(Math.max(0, left))}${text}`.padEnd(width);
}

export function formatTiming(t: Timing, https: boolean): string {
  const peer = t.remoteAddress === null ? 'unknown' : `${t.remoteAddress.includes(':') ? `[${t.remoteAddress}]` : t.remoteAddress}:${t.remotePort}`;
  const local = t.localAddress === null ? 'unknown' : `${t.localAddress.includes(':') ? `[${t.localAddress}]` : t.localAddress}:${t.localPort}`;
  const via = t.proxy !== null ? ` via proxy ${t.proxy}` : t.reused ? ' (connection reused)' : '';
  const names = ['DNS Lookup', 'TCP Connection', ...(https ? ['TLS Handshake'] : []), 'Server Processing', 'Content Transfer'];
  const values = [t.dnsMs, t.connectMs, ...(https ? [t.tlsMs] : []), t.firstByteMs, t.transferMs];
  const W = 19;
  const head = names.map((n) => center(n, W)).join(' ');
  const row = `[${values.map((v) => center(ms(v), W)).join('|')}]`;
  // Cumulative marks, as curl names them.
  const marks: Array<[string, number]> = [];
  let sum = 0;
  const labels = ['namelookup', 'connect', ...(https ? ['pretransfer'] : []), 'starttransfer', 'total'];
  values.forEach((v, i) => {
    sum += v;
    marks.push([labels[i] ?? '', i === values.length - 1 ? t.totalMs : sum]);
  });
  const ticks = `${' '.repeat(W + 1)}${Array.from({ length: values.length }, () => `|${' '.repeat(W)}`).join('').trimEnd()}`;
  const markLines = marks.map(([label, v], i) => {
    const text = `${label}:${ms(v)}`;
    const col = (i + 1) * (W + 1);
    const bars = Array.from({ length: values.length - i - 1 }, (_, k) => ({ at: (i + 2 + k) * (W + 1) }));
    let line = ' '.repeat(Math.max(0, col - text.length)) + text;
    for (const b of bars) line = line.padEnd(b.at) + '|';
    return line;
  });
  return [`  Connected to ${peer} from ${local}${via}`, '', ` ${head}`, row, ticks, ...markLines, ''].join('\n');
}
