/** Pieces the benchmark harnesses share: peers to start pinned to a core, ports, medians. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { bench } from '../src/bench/bench.js';
import type { BenchOptions } from '../src/bench/options.js';
import { percentileChart } from '../src/bench/report/plots.js';
import { cpuMicros, stopProcess } from './proc.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PEERS = `${ROOT}benchmarks/peers/`;
export const BUILD = `${ROOT}.bench-tmp/`;
export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';

export interface Peer {
  name: string;
  /** Command to start on `port`, or a reason it is missing. */
  command: (port: number) => string[] | string;
  env?: NodeJS.ProcessEnv;
  /** A UDP server: ready once it answers a datagram (else once its TCP port accepts). */
  udp?: boolean;
  /** The cores it may run on (taskset list), SERVER_CORE unless given. */
  cores?: string;
}

/** How long and how often a harness table measures (--rounds, --seconds, --warmup). */
export interface HarnessOptions {
  rounds: number;
  seconds: number;
  warmup: number;
}

/** The wrk script the HTTP tables use: keep-alive POSTs of "Hello, World!" as text/plain; its path. */
export function postScript(): string {
  mkdirSync(BUILD, { recursive: true });
  const script = `${BUILD}post.lua`;
  writeFileSync(script, 'wrk.method = "POST"\nwrk.body = "Hello, World!"\nwrk.headers["Content-Type"] = "text/plain"\n');
  return script;
}

export interface Running {
  pid: number;
  port: number;
  stop: () => Promise<void>;
}

/** A harness's command-line flag: `--name VALUE` gives VALUE, `--name` alone gives "" (present), else undefined. */
export function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i < 0 ? undefined : (args[i + 1] ?? '');
}

export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Build benchmarks/peers/NAME.go into .bench-tmp/ (again when the source is newer); null when Go is missing or the build fails. */
export function goBinary(name: string): string | null {
  if (!has('go')) return null;
  mkdirSync(BUILD, { recursive: true });
  const out = `${BUILD}${name}`;
  if (!existsSync(out) || statSync(`${PEERS}${name}.go`).mtimeMs > statSync(out).mtimeMs) {
    const r = spawnSync('go', ['build', '-o', out, `${PEERS}${name}.go`], { env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: `${BUILD}gocache`, GOPATH: `${BUILD}gopath` } });
    if (r.status !== 0) return null;
  }
  return out;
}

/**
 * A throwaway certificate for 127.0.0.1 in .bench-tmp/: ECDSA P-256 (`ec`, what the TLS tables use) or RSA 2048
 * (`rsa`, the common default elsewhere); a reason when openssl is missing.
 */
export function certificate(type: 'ec' | 'rsa'): { cert: string; key: string } | string {
  if (!has('openssl')) return 'openssl not installed';
  mkdirSync(BUILD, { recursive: true });
  const cert = `${BUILD}bench-${type === 'ec' ? '' : 'rsa-'}cert.pem`;
  const key = `${BUILD}bench-${type === 'ec' ? '' : 'rsa-'}key.pem`;
  if (!existsSync(cert)) {
    const alg = type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
    spawnSync('openssl', ['req', '-x509', ...alg, '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  }
  return existsSync(cert) ? { cert, key } : 'openssl could not make a certificate';
}

/** The node flags of `npm start` (package.json's start script): netecho is measured as the service runs. */
export const BIN_FLAGS = ((JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start ?? '')
  .split(/\s+/)
  .filter((w) => w.startsWith('--'));

export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('server exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForDatagram(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  const socket = dgram.createSocket('udp4');
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('server exited');
      const answered = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 100);
        socket.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
        socket.send('ready?', port, '127.0.0.1');
      });
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`nothing answering on udp port ${port}`);
    }
  } finally {
    socket.close();
  }
}

/** Start a peer pinned to the server core; resolves once its port accepts connections (or answers, over UDP). */
export async function start(peer: Peer): Promise<Running | string> {
  const port = await freePort();
  const cmd = peer.command(port);
  if (typeof cmd === 'string') return cmd;
  const child = spawn('taskset', ['-c', peer.cores ?? SERVER_CORE, ...cmd], { stdio: 'ignore', env: { ...process.env, ...peer.env } });
  await (peer.udp ? waitForDatagram(port, child) : waitForPort(port, child));
  return {
    pid: child.pid ?? 0,
    port,
    stop: () => stopProcess(child),
  };
}

export const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** docs/benchmarks.md keeps the transport tables between these markers; each harness rewrites only its part. */
export const TRANSPORTS_BEGIN = '<!-- benchmarks/transports.ts: begin -->';
export const TRANSPORTS_END = '<!-- benchmarks/transports.ts: end -->';

/** The marked transports section of a document, or ''. */
export function transportsSection(doc: string): string {
  return markedSection(doc, TRANSPORTS_BEGIN, TRANSPORTS_END);
}

/** The section of `doc` between `begin` and `end` (markers included), or ''. */
export function markedSection(doc: string, begin: string, end: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  return a >= 0 && b > a ? doc.slice(a, b + end.length) : '';
}

/** docs/benchmarks.md keeps the relay tables between these markers. */
export const RELAY_BEGIN = '<!-- benchmarks/relay.ts: begin -->';
export const RELAY_END = '<!-- benchmarks/relay.ts: end -->';

/** Put `section` (with its markers) in place of the marked one in docs/benchmarks.md, or at its end. */
export function writeSection(section: string, begin: string, end: string): void {
  const path = `${ROOT}docs/benchmarks.md`;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const old = markedSection(doc, begin, end);
  writeFileSync(path, old === '' ? `${doc.trimEnd()}\n\n${section}\n` : doc.replace(old, section));
}

/**
 * Interleaved rounds (A B C … A B C …): each peer started alone for each cell, measured, stopped. `record` gets
 * every sample; peers whose command is missing were filtered out before.
 */
export async function interleaved<C, S>(
  rounds: number,
  cells: readonly C[],
  peers: readonly Peer[],
  measure: (server: Running, cell: C) => Promise<S>,
  record: (round: number, peer: Peer, cell: C, sample: S) => void,
): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    for (const cell of cells) {
      for (const peer of peers) {
        const server = await start(peer);
        if (typeof server === 'string') continue;
        try {
          record(round, peer, cell, await measure(server, cell));
        } finally {
          await server.stop();
        }
      }
    }
  }
}

/** The peers that can start here; a line on stderr for each that cannot. */
export function available(peers: readonly Peer[]): Peer[] {
  return peers.filter((p) => {
    const cmd = p.command(0);
    if (typeof cmd === 'string') console.error(`skipping ${p.name}: ${cmd}`);
    return typeof cmd !== 'string';
  });
}

/** A latency percentile curve, as bench results carry it. */
export type Curve = Array<{ percentile: number; us: number }>;

/** One round of netecho bench against a server: rate, latency, the server's CPU per round trip. */
export interface EchoSample {
  rtps: number;
  p50: number;
  p99: number;
  /** Server CPU (user + system) per round trip, in µs, over the measured window only. */
  cpuPerRt: number;
  clientCpu: number;
  errors: number;
  /** The latency percentile curve of this round (for the plots). */
  curve: Curve | null;
}

/** Run netecho bench against `url` served by process `pid`, reading the server's CPU around the measured window. */
export async function measureEcho(url: string, pid: number, options: BenchOptions): Promise<EchoSample> {
  let cpu0 = 0;
  let cpu1 = 0;
  const r = await bench(url, options, { onMeasuring: () => (cpu0 = cpuMicros(pid)), onStopped: () => (cpu1 = cpuMicros(pid)) });
  return {
    rtps: r.roundTripsPerSec,
    p50: r.latencyUs?.p50 ?? NaN,
    p99: r.latencyUs?.p99 ?? NaN,
    cpuPerRt: r.roundTrips > 0 ? (cpu1 - cpu0) / r.roundTrips : NaN,
    clientCpu: r.clientCpuPercent,
    errors: r.errors.total,
    curve: r.latencyCurve,
  };
}

/**
 * Plot each server's round with the median p99 as one percentile chart, docs/FILE (FILE like "plots/x.svg"); returns
 * FILE for a link, or null when no round has a curve. The harnesses call it once per table (not with --print).
 */
export function writeLatencyPlot(file: string, servers: ReadonlyArray<{ name: string; samples: ReadonlyArray<{ p99: number; curve: Curve | null }> }>): string | null {
  const curves = servers.flatMap(({ name, samples }) => {
    const ss = samples.filter((s) => s.curve !== null).sort((a, b) => a.p99 - b.p99);
    const mid = ss[Math.floor((ss.length - 1) / 2)];
    return mid?.curve ? [{ name, curve: mid.curve }] : [];
  });
  if (curves.length === 0) return null;
  mkdirSync(`${ROOT}docs/plots`, { recursive: true });
  writeFileSync(`${ROOT}docs/${file}`, percentileChart(curves));
  return file;
}
