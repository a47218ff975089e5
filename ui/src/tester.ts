/** The WebSocket tester: connect, send text or binary (hex), see each message with direction, size and round trip. */
import { closeMeaning } from './close-codes.js';
import { byId, el, sameServerWs } from './dom.js';

const MAX_ROWS = 200;

export function parseHex(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

export class Tester {
  readonly #url = byId<HTMLInputElement>('tester-url');
  readonly #connect = byId<HTMLButtonElement>('tester-connect');
  readonly #close = byId<HTMLButtonElement>('tester-close');
  readonly #send = byId<HTMLButtonElement>('tester-send');
  readonly #message = byId<HTMLInputElement>('tester-message');
  readonly #kind = byId<HTMLSelectElement>('tester-kind');
  readonly #state = byId('tester-state');
  readonly #error = byId('tester-error');
  readonly #log = byId('tester-log');
  #ws: WebSocket | null = null;
  /** When each message still waiting for its echo was sent (an echo comes back in order). */
  #pending: number[] = [];
  #edited = false;

  constructor() {
    this.#url.value = sameServerWs('/');
    this.#url.addEventListener('input', () => (this.#edited = true));
    this.#connect.addEventListener('click', () => this.#open());
    this.#close.addEventListener('click', () => this.#ws?.close(1000));
    this.#send.addEventListener('click', () => this.#sendOne());
    this.#message.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.#sendOne();
    });
  }

  /** The page is a relay's: the tester joins a room of its own and hears itself (?echo=1). */
  forRelay(): void {
    if (!this.#edited) this.#url.value = sameServerWs('/tester?echo=1');
  }

  #open(): void {
    this.#error.textContent = '';
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url.value);
    } catch (err) {
      this.#error.textContent = `cannot connect: ${(err as Error).message}`;
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    this.#pending = [];
    this.#state.textContent = `connecting to ${this.#url.value}…`;
    this.#connect.disabled = true;
    ws.addEventListener('open', () => {
      this.#state.textContent = `connected to ${ws.url}`;
      this.#close.disabled = false;
      this.#send.disabled = false;
      this.#message.focus();
    });
    ws.addEventListener('message', (e: MessageEvent<string | ArrayBuffer>) => {
      const sent = this.#pending.shift();
      const rtt = sent === undefined ? '' : `${(performance.now() - sent).toFixed(1)} ms`;
      if (typeof e.data === 'string') this.#add('in', 'text', new TextEncoder().encode(e.data).length, rtt, e.data);
      else this.#add('in', 'binary', e.data.byteLength, rtt, toHex(new Uint8Array(e.data)));
    });
    ws.addEventListener('close', (e) => {
      this.#state.textContent = `closed: ${e.code} ${closeMeaning(e.code)}${e.reason === '' ? '' : ` (${e.reason})`}`;
      this.#connect.disabled = false;
      this.#close.disabled = true;
      this.#send.disabled = true;
      if (this.#ws === ws) this.#ws = null;
    });
  }

  #sendOne(): void {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    this.#error.textContent = '';
    const text = this.#message.value;
    if (this.#kind.value === 'hex') {
      const bytes = parseHex(text);
      if (bytes === null) {
        this.#error.textContent = 'not hex: give pairs of hex digits, such as "48 69 00 ff"';
        return;
      }
      ws.send(bytes);
      this.#pending.push(performance.now());
      this.#add('out', 'binary', bytes.length, '', toHex(bytes));
    } else {
      ws.send(text);
      this.#pending.push(performance.now());
      this.#add('out', 'text', new TextEncoder().encode(text).length, '', text);
    }
  }

  #add(dir: 'in' | 'out', kind: string, bytes: number, rtt: string, data: string): void {
    const tr = el('tr', '', dir);
    for (const [text, cls] of [[dir === 'in' ? '←' : '→', ''], [kind, ''], [String(bytes), ''], [rtt, ''], [data, 'data']] as const) tr.append(el('td', text, cls));
    this.#log.prepend(tr);
    while (this.#log.children.length > MAX_ROWS) this.#log.lastElementChild?.remove();
  }
}
