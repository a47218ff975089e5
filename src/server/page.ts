/**
 * The page at /.netecho/ on every http(s) listener (unless turned off): a WebSocket tester, a chat for a relay, and
 * a live dashboard fed by Server-Sent Events from the server's own stats. The files are the package's (ui/ and the
 * compiled dist/ui/app.js), served from a fixed list, never from a path the client names. Every reply carries a
 * strict Content-Security-Policy: scripts and styles from this origin only, nothing inline, no frames.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';

export const PAGE_PREFIX = '/.netecho';

/** Package root, from dist/src/server/page.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const JS = 'text/javascript; charset=utf-8';
const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: 'ui/index.html', type: 'text/html; charset=utf-8' },
  '/netecho.css': { path: 'ui/netecho.css', type: 'text/css; charset=utf-8' },
  ...Object.fromEntries(['app', 'chat', 'close-codes', 'dashboard', 'dom', 'tester'].map((name) => [`/${name}.js`, { path: `dist/ui/${name}.js`, type: JS }])),
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  // The tester may open a WebSocket to a URL typed in; the dashboard reads this origin's event stream.
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** How often the dashboard's stream sends a snapshot. */
const STREAM_INTERVAL_MS = 1000;
/** Dashboards open at once; more get 503 (each costs a snapshot a second). */
const MAX_STREAMS = 32;

const cache = new Map<string, Buffer>();

function file(path: string): Buffer | null {
  let body = cache.get(path);
  if (body === undefined) {
    try {
      body = readFileSync(`${ROOT}${path}`);
    } catch {
      return null;
    }
    cache.set(path, body);
  }
  return body;
}

export interface PageSource {
  /** "echo" (serve) or "relay": what the page offers. */
  readonly kind: 'echo' | 'relay';
  /** What the dashboard shows, as JSON: the server's stats and more. */
  snapshot(): object;
}

export class Page {
  readonly #source: PageSource;
  readonly #streams = new Set<http.ServerResponse>();
  #timer: NodeJS.Timeout | null = null;

  constructor(source: PageSource) {
    this.#source = source;
  }

  /** Answer `req` when it is for the page (true), else leave it (false). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    // Every request to an http listener passes here: the common answer (not the page) costs one comparison.
    if (req.url?.startsWith(PAGE_PREFIX) !== true) return false;
    const target = (req.url ?? '/').split('?')[0] ?? '/';
    if (target !== PAGE_PREFIX && !target.startsWith(`${PAGE_PREFIX}/`)) return false;
    req.resume();
    const path = target === PAGE_PREFIX ? '/' : target.slice(PAGE_PREFIX.length);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json; charset=utf-8', '{"error":"use GET"}\n', { Allow: 'GET, HEAD' });
      return true;
    }
    if (target === PAGE_PREFIX) {
      res.writeHead(301, { ...SECURITY_HEADERS, Location: `${PAGE_PREFIX}/` }).end();
      return true;
    }
    if (path === '/stats') {
      this.#stream(res);
      return true;
    }
    const f = FILES[path];
    const body = f === undefined ? null : file(f.path);
    if (f === undefined || body === null) send(res, 404, 'application/json; charset=utf-8', `{"error":"not found: the page is at ${PAGE_PREFIX}/"}\n`);
    else send(res, 200, f.type, req.method === 'HEAD' ? '' : body, { 'Cache-Control': 'no-cache', 'Content-Length': String(body.length) });
    return true;
  }

  /** The server is closing: end the dashboards' streams (they would hold the drain). */
  close(): void {
    for (const res of this.#streams) res.end();
    this.#streams.clear();
    this.#stop();
  }

  #stream(res: http.ServerResponse): void {
    if (this.#streams.size >= MAX_STREAMS) {
      send(res, 503, 'application/json; charset=utf-8', '{"error":"too many dashboards open"}\n', { 'Retry-After': '10' });
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    this.#streams.add(res);
    res.once('close', () => {
      this.#streams.delete(res);
      if (this.#streams.size === 0) this.#stop();
    });
    res.write(`retry: 2000\ndata: ${JSON.stringify(this.#snapshot())}\n\n`);
    this.#timer ??= setInterval(() => {
      const line = `data: ${JSON.stringify(this.#snapshot())}\n\n`;
      for (const r of this.#streams) r.write(line);
    }, STREAM_INTERVAL_MS);
  }

  #snapshot(): object {
    return { kind: this.#source.kind, t: Date.now(), ...this.#source.snapshot() };
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, ...headers }).end(body);
}
