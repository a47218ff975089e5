/**
 * The chat, for a relay: join a room with a name (and a token when the relay asks for one), see who is there and
 * what they say; an unexpected close reconnects with ?since= the last id seen, so nothing is missed (or a visible
 * gap notice says how much was).
 */
import { byId, el, sameServerWs } from './dom.js';

interface Envelope {
  type: 'message' | 'join' | 'leave' | 'gap' | 'members' | 'error';
  room?: string;
  from?: string;
  id?: string;
  data?: string;
  encoding?: string;
  members?: string[];
  count?: number;
  missed?: number | null;
  reason?: string;
  error?: string;
}

const MAX_LINES = 500;
const RETRY_MS = [1000, 2000, 5000, 10_000];

export class Chat {
  readonly #room = byId<HTMLInputElement>('chat-room');
  readonly #name = byId<HTMLInputElement>('chat-name');
  readonly #token = byId<HTMLInputElement>('chat-token');
  readonly #join = byId<HTMLButtonElement>('chat-join');
  readonly #leave = byId<HTMLButtonElement>('chat-leave');
  readonly #message = byId<HTMLInputElement>('chat-message');
  readonly #send = byId<HTMLButtonElement>('chat-send');
  readonly #state = byId('chat-state');
  readonly #members = byId('chat-members');
  readonly #log = byId('chat-log');
  #ws: WebSocket | null = null;
  #lastId: string | null = null;
  #wanted = false;
  #attempt = 0;
  #retry: number | null = null;

  constructor() {
    this.#join.addEventListener('click', () => {
      this.#wanted = true;
      this.#lastId = null;
      this.#log.replaceChildren();
      this.#connect();
    });
    this.#leave.addEventListener('click', () => this.#stop());
    this.#send.addEventListener('click', () => this.#say());
    this.#message.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.#say();
    });
  }

  /** This page is not a relay's: say so (the chat still works against a relay's URL on this host). */
  notRelay(): void {
    byId('chat-note').textContent = 'This server is an echo service: the chat needs a netecho relay (netecho relay http://HOST:PORT).';
  }

  #url(): string {
    const q = new URLSearchParams({ format: 'json' });
    if (this.#name.value !== '') q.set('name', this.#name.value);
    if (this.#token.value !== '') q.set('token', this.#token.value);
    if (this.#lastId !== null) q.set('since', this.#lastId);
    return sameServerWs(`/${encodeURIComponent(this.#room.value)}?${q}`);
  }

  #connect(): void {
    const ws = new WebSocket(this.#url());
    this.#ws = ws;
    this.#state.textContent = `joining ${this.#room.value}…`;
    this.#join.disabled = true;
    this.#leave.disabled = false;
    ws.addEventListener('open', () => {
      this.#attempt = 0;
      this.#state.textContent = `in ${this.#room.value}`;
      this.#message.disabled = false;
      this.#send.disabled = false;
      this.#message.focus();
    });
    ws.addEventListener('message', (e: MessageEvent<string>) => this.#show(e.data));
    ws.addEventListener('close', (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#message.disabled = true;
      this.#send.disabled = true;
      if (!this.#wanted) return;
      // Refused (1006 before it opened, or a policy close): say why; else come back with what was missed.
      const delay = RETRY_MS[Math.min(this.#attempt++, RETRY_MS.length - 1)] ?? 10_000;
      this.#notice(`disconnected (${e.code}${e.reason === '' ? '' : `: ${e.reason}`}); reconnecting in ${delay / 1000} s${this.#lastId === null ? '' : ` from ${this.#lastId}`}`, 'notice');
      this.#state.textContent = 'reconnecting…';
      this.#retry = window.setTimeout(() => this.#connect(), delay);
    });
  }

  #stop(): void {
    this.#wanted = false;
    if (this.#retry !== null) window.clearTimeout(this.#retry);
    this.#ws?.close(1000);
    this.#ws = null;
    this.#state.textContent = 'not in a room';
    this.#members.textContent = '';
    this.#join.disabled = false;
    this.#leave.disabled = true;
    this.#message.disabled = true;
    this.#send.disabled = true;
  }

  #say(): void {
    const text = this.#message.value;
    if (text === '' || this.#ws?.readyState !== WebSocket.OPEN) return;
    this.#ws.send(text);
    this.#line('you', text, 'mine');
    this.#message.value = '';
  }

  #show(raw: string): void {
    let m: Envelope;
    try {
      m = JSON.parse(raw) as Envelope;
    } catch {
      this.#line(null, raw, '');
      return;
    }
    switch (m.type) {
      case 'message':
        if (m.id !== undefined) this.#lastId = m.id;
        this.#line(m.from ?? '?', m.encoding === 'base64' ? `(${atob(m.data ?? '').length} bytes of binary)` : (m.data ?? ''), '');
        break;
      case 'join':
      case 'leave':
        this.#notice(`${m.from ?? '?'} ${m.type === 'join' ? 'joined' : 'left'}`, 'notice');
        break;
      case 'members':
        this.#members.textContent = `here: ${(m.members ?? []).join(', ')}${(m.count ?? 0) > (m.members ?? []).length ? ` and ${(m.count ?? 0) - (m.members ?? []).length} more` : ''}`;
        break;
      case 'gap':
        this.#notice(`${m.missed ?? 'some'} message(s) could not be delivered (${m.reason ?? ''})`, 'gap');
        break;
      case 'error':
        this.#notice(`! ${m.error ?? ''}`, 'gap');
        break;
    }
  }

  #line(from: string | null, text: string, cls: string): void {
    const li = el('li', '', cls);
    if (from !== null) li.append(el('span', from, 'from'));
    li.append(document.createTextNode(text));
    this.#append(li);
  }

  #notice(text: string, cls: string): void {
    this.#append(el('li', text, cls));
  }

  #append(li: HTMLLIElement): void {
    this.#log.append(li);
    while (this.#log.children.length > MAX_LINES) this.#log.firstElementChild?.remove();
    li.scrollIntoView({ block: 'nearest' });
  }
}
