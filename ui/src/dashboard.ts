/**
 * The live dashboard: one Server-Sent Events stream from this server (/.netecho/stats, a snapshot a second) shown as
 * counters, rates, tables by transport and by reason, a relay's busiest rooms, and a chart of the last 5 minutes.
 */
import { byId, formatCount, row, setRows } from './dom.js';

interface TransportStats {
  accepted: number;
  open: number;
  refused: Record<string, number>;
  closed: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
}

export interface Snapshot {
  kind: 'echo' | 'relay';
  t: number;
  addresses: string[];
  stats: {
    accepted: number;
    refused: Record<string, number>;
    closed: Record<string, number>;
    transports: Record<string, TransportStats>;
    datagrams?: { received: number; echoed: number; bytes: number; dropped: Record<string, number> };
    rooms?: number;
    members?: number;
    messages?: { received: number; delivered: number; dropped: Record<string, number> };
    broker?: { state: string; undelivered: number };
  };
  rooms?: Array<{ room: string; members: number }>;
}

const HISTORY = 300;
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

export class Dashboard {
  readonly #state = byId('dash-state');
  #previous: Snapshot | null = null;
  readonly #open: number[] = [];
  #onFirst: ((s: Snapshot) => void) | null;

  constructor(onFirst: (s: Snapshot) => void) {
    this.#onFirst = onFirst;
    const source = new EventSource('stats');
    source.addEventListener('message', (e: MessageEvent<string>) => this.#update(JSON.parse(e.data) as Snapshot));
    source.addEventListener('error', () => (this.#state.textContent = 'the stream was interrupted; reconnecting…'));
  }

  #update(s: Snapshot): void {
    this.#onFirst?.(s);
    this.#onFirst = null;
    const transports = Object.entries(s.stats.transports);
    const open = sum(transports.map(([, t]) => t.open));
    const bytesIn = sum(transports.map(([, t]) => t.bytesIn)) + (s.stats.datagrams?.bytes ?? 0);
    const bytesOut = sum(transports.map(([, t]) => t.bytesOut)) + (s.stats.datagrams?.bytes ?? 0);
    const p = this.#previous;
    const seconds = p === null ? 0 : (s.t - p.t) / 1000;
    const rate = (now: number, before: number): string => (p === null || seconds <= 0 ? '–' : formatCount(Math.max(0, Math.round((now - before) / seconds))));
    const pIn = p === null ? 0 : sum(Object.values(p.stats.transports).map((t) => t.bytesIn)) + (p.stats.datagrams?.bytes ?? 0);
    const pOut = p === null ? 0 : sum(Object.values(p.stats.transports).map((t) => t.bytesOut)) + (p.stats.datagrams?.bytes ?? 0);
    byId('dash-open').textContent = formatCount(open);
    byId('dash-accepted').textContent = formatCount(s.stats.accepted);
    byId('dash-in').textContent = rate(bytesIn, pIn);
    byId('dash-out').textContent = rate(bytesOut, pOut);
    this.#state.textContent = `updated ${new Date(s.t).toLocaleTimeString()} · ${s.addresses.join(' ')}`;
    setRows(
      byId('dash-transports'),
      transports.map(([name, t]) => row([name, t.open, t.accepted, sum(Object.values(t.refused)), sum(Object.values(t.closed)), formatCount(t.bytesIn), formatCount(t.bytesOut)])),
    );
    const reasons: HTMLTableRowElement[] = [];
    const add = (what: string, counts: Record<string, number> | undefined): void => {
      for (const [reason, n] of Object.entries(counts ?? {})) if (n > 0) reasons.push(row([what, reason, formatCount(n)]));
    };
    add('refused', s.stats.refused);
    add('closed', s.stats.closed);
    add('datagrams dropped', s.stats.datagrams?.dropped);
    add('messages dropped', s.stats.messages?.dropped);
    setRows(byId('dash-reasons'), reasons);
    if (s.kind === 'relay' && s.stats.messages !== undefined) {
      byId('dash-relay').hidden = false;
      const m = s.stats.messages;
      byId('dash-relay-summary').textContent =
        `${formatCount(s.stats.rooms ?? 0)} room(s), ${formatCount(s.stats.members ?? 0)} member(s); ` +
        `${rate(m.received, p?.stats.messages?.received ?? 0)} messages/s in, ${rate(m.delivered, p?.stats.messages?.delivered ?? 0)} deliveries/s; ` +
        `link to other instances: ${s.stats.broker?.state ?? '?'}`;
      setRows(byId('dash-rooms'), (s.rooms ?? []).map((r) => row([r.room, r.members])));
    }
    this.#open.push(open);
    if (this.#open.length > HISTORY) this.#open.shift();
    this.#chart();
    this.#previous = s;
  }

  /** Open connections over the last HISTORY seconds, as one SVG polyline. */
  #chart(): void {
    const svg = byId('dash-chart');
    const max = Math.max(1, ...this.#open);
    const points = this.#open.map((v, i) => `${((i + HISTORY - this.#open.length) / (HISTORY - 1)) * 300},${75 - (v / max) * 65}`).join(' ');
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points);
    const label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    label.setAttribute('x', '4');
    label.setAttribute('y', '9');
    label.textContent = `open connections, last 5 min (max ${formatCount(max)})`;
    svg.replaceChildren(line, label);
  }
}

