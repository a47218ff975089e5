/**
 * Hostile cases for the relay (docs/security.md#relay), against `netecho relay` run as its own process:
 * a member that never reads among many, a publisher at 10x its rate, and Redis killed under two instances.
 * Run: npm run build && node dist/benchmarks/hostile-relay.js [--only never-reading,flood,redis-kill]
 * (about half a minute; loopback only; every loop bounded in count and time)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { benchRelay } from '../src/index.js';
import type { RelayBenchResult } from '../src/bench/relay/result.js';
import { freePort, has } from './harness.js';
import { rssBytes, stopProcess } from './proc.js';

const BIN = fileURLToPath(new URL('../../bin/netecho.js', import.meta.url));

interface Process {
  pid: number;
  url: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

async function startRelay(args: string[]): Promise<Process> {
  const child = spawn(process.execPath, [BIN, 'relay', 'ws://127.0.0.1:0', '--log-format', 'json', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { pid: child.pid ?? 0, url: line.toString().trim(), stderr: () => err, stop: () => stopProcess(child) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `check()` holds, at most `ms`. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

const lat = (r: RelayBenchResult): string =>
  `p50 ${((r.latencyUs?.p50 ?? 0) / 1000).toFixed(1)} ms, p99 ${((r.latencyUs?.p99 ?? 0) / 1000).toFixed(1)} ms, ${r.delivered} of ${r.expectedDeliveries} delivered, ${r.lost} lost`;

/** A WebSocket member that completes its upgrade and then never reads a byte. */
async function neverReader(url: string): Promise<net.Socket> {
  const u = new URL(url);
  const s = net.connect(Number(u.port), u.hostname);
  await once(s, 'connect');
  s.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const [head] = (await once(s, 'data')) as [Buffer];
  if (!head.toString().startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.toString().split('\r\n')[0]}`);
  s.pause();
  s.on('error', () => {});
  return s;
}

async function neverReading(subscribers: number): Promise<void> {
  const relay = await startRelay(['--max-queued', '256KiB']);
  try {
    // The kernel takes up to ~4 MiB for a member that does not read (its receive window and our send buffer, which
    // Linux grows to tcp_wmem's 4 MiB) before the relay's own queue grows: 32 KiB at 20/s for 10 s is 6.4 MiB.
    const load = { rooms: 1, publishers: 1, subscribers, rate: 20, size: 32 * 1024, duration: '10s', warmup: '1s', timeout: '10s' } as const;
    const before = await benchRelay(relay.url, { ...load, duration: '4s' });
    const rss0 = rssBytes(relay.pid);
    const stalled = await neverReader(`${relay.url}/bench0`);
    const t0 = Date.now();
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(relay.pid))), 50);
    const during = await benchRelay(relay.url, load);
    clearInterval(sampler);
    await until(() => /"reason":"slow-consumer"/.test(relay.stderr()), 10_000);
    const line = relay.stderr().split('\n').find((l) => l.includes('"reason":"slow-consumer"'));
    const closed = line === undefined ? null : (JSON.parse(line) as { ms: number; out: number });
    stalled.destroy();
    console.log(
      `never-reading member among ${subscribers} (1 publisher, 32 KiB at 20/s, --max-queued 256KiB): ` +
        `the others before: ${lat(before)}; with it: ${lat(during)}; ` +
        (closed === null ? 'it was NOT closed' : `it was closed slow-consumer after ${(closed.ms / 1000).toFixed(1)} s (${Math.round(closed.out / 1024)} KiB written to it)`) +
        `; relay RSS ${Math.round(rss0 / 1048576)} MiB before, ${Math.round(peak / 1048576)} MiB at peak (run ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  } finally {
    await relay.stop();
  }
}

interface Counter {
  ws: WebSocket;
  flood: number;
  normal: number[];
}

async function member(url: string, name: string): Promise<Counter> {
  const ws = new WebSocket(`${url}${url.includes('?') ? '&' : '?'}name=${name}`, { perMessageDeflate: false });
  const c: Counter = { ws, flood: 0, normal: [] };
  ws.on('message', (d: Buffer) => {
    if (d[0] === 0x46 /* F */) c.flood++;
    else if (d[0] === 0x4e /* N */) c.normal.push(performance.now() - Number(d.toString().split(':')[1]));
  });
  await once(ws, 'open');
  return c;
}

/** A flooder at `factor` x the default rate (100/s) for 3 s, beside a publisher at 10/s, 10 subscribers. */
async function flood(factor: number): Promise<void> {
  const relay = await startRelay([]);
  const room = `${relay.url}/flood`;
  const all: Counter[] = [];
  try {
    const subs = await Promise.all(Array.from({ length: 10 }, (_, i) => member(room, `s${i}`)));
    const normal = await member(room, 'normal');
    const flooder = await member(`${room}?format=json`, 'flooder');
    all.push(...subs, normal, flooder);
    const notices: string[] = [];
    flooder.ws.on('message', (d: Buffer) => notices.push(d.toString()));
    const run = async (withFlood: boolean): Promise<{ p50: number; max: number; got: number }> => {
      for (const s of subs) s.normal.length = 0;
      const end = performance.now() + 3000;
      let f = 0;
      const flooding = (async () => {
        while (withFlood && performance.now() < end && f < 100 * factor * 3) {
          for (let i = 0; i < factor; i++) flooder.ws.send(`F${f++}`);
          await sleep(10);
        }
      })();
      for (let n = 0; n < 30; n++) {
        normal.ws.send(`N:${performance.now()}`);
        await sleep(100);
      }
      await flooding;
      await until(() => subs.every((s) => s.normal.length === 30), 5000);
      const l = subs.flatMap((s) => s.normal).sort((a, b) => a - b);
      return { p50: l[Math.floor(l.length / 2)] ?? NaN, max: l[l.length - 1] ?? NaN, got: Math.min(...subs.map((s) => s.normal.length)) };
    };
    const quiet = await run(false);
    const loud = await run(true);
    await sleep(300);
    const floods = subs.map((s) => s.flood);
    console.log(
      `publisher at ${factor}x its rate (${100 * factor}/s for 3 s, limit 100/s): each subscriber got ${Math.min(...floods)}–${Math.max(...floods)} of its ${100 * factor * 3} messages ` +
        `(the burst and 100/s), the flooder ${notices.filter((n) => n.includes('"error"')).length} error notice(s) (at most one a second); the other publisher's 30 messages reached every subscriber ` +
        `(${loud.got} of 30 at least): p50 ${loud.p50.toFixed(2)} ms, max ${loud.max.toFixed(2)} ms (without the flood: p50 ${quiet.p50.toFixed(2)} ms, max ${quiet.max.toFixed(2)} ms)`,
    );
  } finally {
    for (const c of all) c.ws.terminate();
    await relay.stop();
  }
}

async function startRedis(port: number): Promise<ChildProcess> {
  const r = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  r.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  if (!(await until(() => out.includes('Ready to accept connections'), 5000))) throw new Error('redis-server did not start');
  return r;
}

/** Two instances on one Redis, 50 messages/s on A; Redis SIGKILLed after 1.5 s and started again 2 s later. */
async function redisKill(): Promise<void> {
  const port = await freePort();
  let redis = await startRedis(port);
  const redisUrl = `redis://127.0.0.1:${port}`;
  const a = await startRelay(['--redis', redisUrl, '--log-level', 'info']);
  const b = await startRelay(['--redis', redisUrl, '--log-level', 'info']);
  const members: WebSocket[] = [];
  try {
    const got = { a: [] as number[], b: [] as number[] };
    const open = async (url: string, into: number[] | null): Promise<WebSocket> => {
      const ws = new WebSocket(`${url}/r`, { perMessageDeflate: false });
      if (into !== null) ws.on('message', (d: Buffer) => into.push(Number(d.toString())));
      await once(ws, 'open');
      members.push(ws);
      return ws;
    };
    await open(a.url, got.a);
    await open(b.url, got.b);
    const pub = await open(a.url, null);
    const sentAt: number[] = [];
    let killedAt = 0;
    let restartedAt = 0;
    const t0 = performance.now();
    for (let n = 1; n <= 300; n++) {
      const t = performance.now() - t0;
      if (killedAt === 0 && t > 1500) {
        redis.kill('SIGKILL');
        await once(redis, 'exit');
        killedAt = t;
      }
      if (restartedAt === 0 && t > 3500) {
        redis = await startRedis(port);
        restartedAt = performance.now() - t0;
      }
      pub.send(String(n));
      sentAt[n] = performance.now() - t0;
      await sleep(20);
    }
    await until(() => got.a.length === 300, 3000);
    await sleep(300);
    const firstAfter = got.b.find((n) => (sentAt[n] ?? 0) > restartedAt);
    const missingB = 300 - new Set(got.b).size;
    const back = /"msg":"[^"]*back after ([\d.]+) s; (\d+) message/.exec(a.stderr());
    const lostLines = (a.stderr().match(/"level":50/g) ?? []).length;
    console.log(
      `Redis SIGKILLed under two instances (300 messages at 50/s on A, killed at ${(killedAt / 1000).toFixed(1)} s, started again at ${(restartedAt / 1000).toFixed(1)} s): ` +
        `A's own member got ${got.a.length} of 300 in order (${got.a.every((n, i) => n === i + 1) ? 'yes' : 'NO'}); B's got ${got.b.length} (${missingB} not carried, each in order: ${got.b.every((n, i, xs) => i === 0 || n > (xs[i - 1] ?? 0)) ? 'yes' : 'NO'}); ` +
        `A logged the loss in ${lostLines} error line(s)${back === null ? ' and no recovery line' : ` and "back after ${back[1]} s; ${back[2]} message(s) were not carried"`}; ` +
        `the first message carried to B after the restart was sent ${firstAfter === undefined ? '(none)' : `${(((sentAt[firstAfter] ?? 0) - restartedAt) / 1000).toFixed(2)} s after it`}`,
    );
  } finally {
    for (const ws of members) ws.terminate();
    await a.stop();
    await b.stop();
    await stopProcess(redis);
  }
}

const CASES: Array<[string, () => Promise<void>]> = [
  ['never-reading', () => neverReading(200)],
  ['flood', () => flood(10)],
  ['redis-kill', () => (has('redis-server') ? redisKill() : Promise.resolve(console.log('redis-kill: skipped (no redis-server)')))],
];

const only = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : null;
for (const [name, run] of CASES) if (only === null || only.includes(name)) await run();
