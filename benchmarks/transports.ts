/**
 * TLS and WebSocket echo beside peers (npm run bench:transports), by the method in docs/benchmarks.md: netecho's
 * tls:// against Go's crypto/tls with io.Copy, netecho's ws:// against a minimal ws server. Same method as
 * benchmarks/run.ts: server alone on core 0, load (netecho bench) on core 1, interleaved rounds, medians, server CPU
 * per round trip from /proc. Rewrites the marked transports section of docs/benchmarks.md (or prints with --print).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  BIN_FLAGS,
  CLIENT_CORE,
  PEERS,
  ROOT,
  TRANSPORTS_BEGIN,
  TRANSPORTS_END,
  argValue,
  available,
  certificate,
  goBinary,
  has,
  interleaved,
  measureEcho,
  median,
  postScript,
  transportsSection,
  writeLatencyPlot,
  type EchoSample,
  type HarnessOptions,
  type Peer,
  type Running,
} from './harness.js';
import { cpuMicros } from './proc.js';
import { compiledClientTable, workersTable } from './compiled.js';
import { handshakeTable, negotiated, tlsPeers as tlsPeersOf } from './handshakes.js';
import { agreement, loadGenerators } from './loaders.js';

const ROUNDS = Number(argValue('--rounds') ?? 3);
const SECONDS = Number(argValue('--seconds') ?? 4);
const WARMUP = Number(argValue('--warmup') ?? 1);
const PRINT = argValue('--print') !== undefined;

interface Suite {
  scheme: 'tls' | 'ws' | 'udp' | 'http';
  title: string;
  peers: Peer[];
  /** Message sizes, 50 connections each (default 1 KiB and 64 KiB). */
  sizes?: number[];
  /** The load: netecho bench (default), or wrk (HTTP: keep-alive POSTs of a small body). */
  load?: 'bench' | 'wrk';
  /** What one operation is called in the table. */
  unit?: string;
  /** A line under the table (measured once, outside the rounds). */
  note?: () => Promise<string>;
}

const netecho = (url: (port: number) => string, extra: string[] = []): Peer['command'] => (port) => [
  process.execPath,
  ...BIN_FLAGS,
  `${ROOT}bin/netecho.js`,
  'serve',
  url(port),
  '--log-level',
  'warn',
  ...extra,
];

function suites(): Suite[] {
  const pem = certificate('ec');
  const tlsPeers = typeof pem === 'string' ? [] : tlsPeersOf(pem);
  return [
    {
      scheme: 'tls',
      title: 'TLS echo (TLS 1.3, ECDSA P-256)',
      peers: tlsPeers,
      note: async () => `Negotiated with netecho bench's client (Node's default offer, AES-256-GCM first): ${await negotiated(tlsPeers)}.`,
    },
    {
      scheme: 'udp',
      title: 'UDP echo (netecho bench closed loop, 50 sockets; netecho with --udp-rate raised, as every datagram comes from 127.0.0.1)',
      sizes: [64, 1024],
      unit: 'datagram',
      peers: [
        { name: 'netecho', command: netecho((p) => `udp://127.0.0.1:${p}`, ['--udp-rate', '10000000']), udp: true },
        { name: 'Go net.ListenUDP loop', command: (port) => (goBinary('udp_echo') ? [goBinary('udp_echo') as string, String(port)] : 'go not installed (apt-get install golang-go)'), env: { GOMAXPROCS: '1' }, udp: true },
        { name: 'Python asyncio DatagramProtocol', command: (port) => (has('python3') ? ['python3', `${PEERS}udp_echo.py`, String(port)] : 'python3 not installed'), udp: true },
      ],
    },
    {
      scheme: 'http',
      title: 'HTTP reflection (wrk: 1 thread, 50 keep-alive connections, POST of 13 bytes)',
      sizes: [13],
      load: 'wrk',
      unit: 'request',
      peers: has('wrk')
        ? [
            { name: 'netecho', command: netecho((p) => `http://127.0.0.1:${p}`) },
            { name: 'Go net/http JSON reflection', command: (port) => (goBinary('http_reflect') ? [goBinary('http_reflect') as string, String(port)] : 'go not installed (apt-get install golang-go)'), env: { GOMAXPROCS: '1' } },
            { name: 'express reflection (http-https-echo style)', command: (port) => [process.execPath, `${PEERS}express_reflect.mjs`, String(port)] },
            { name: 'minimal node:http reflection (no limits, no log)', command: (port) => [process.execPath, `${PEERS}http_node.mjs`, String(port)] },
          ]
        : [],
    },
    {
      scheme: 'ws',
      title: 'WebSocket echo (binary messages, no compression; ws with bufferutil in both servers and in the client)',
      peers: [
        { name: 'netecho', command: netecho((p) => `ws://127.0.0.1:${p}`) },
        { name: 'minimal ws server (ws README)', command: (port) => [process.execPath, `${PEERS}ws_server.mjs`, String(port)] },
      ],
    },
  ];
}


/** wrk against `server` (warm-up run first, not recorded): server CPU per request. */
async function measureWrk(server: Running, connections: number): Promise<EchoSample> {
  const script = postScript();
  const url = `http://127.0.0.1:${server.port}/echo?x=1`;
  const wrk = (seconds: number): string =>
    execFileSync('taskset', ['-c', CLIENT_CORE, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (WARMUP > 0) wrk(WARMUP);
  const cpu0 = cpuMicros(server.pid);
  const out = wrk(SECONDS);
  const cpu1 = cpuMicros(server.pid);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((n, v) => n + Number(v), 0));
  const ms = (label: string): number => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (m === null) return NaN;
    const v = Number(m[1]);
    return Math.round(m[2] === 'us' ? v : m[2] === 'ms' ? v * 1000 : v * 1e6);
  };
  return { rtps: Math.round(requests / SECONDS), p50: ms('50'), p99: ms('99'), cpuPerRt: requests > 0 ? (cpu1 - cpu0) / requests : NaN, clientCpu: NaN, errors, curve: null };
}

function measure(scheme: string, server: Running, size: number, connections: number): Promise<EchoSample> {
  return measureEcho(`${scheme}://127.0.0.1:${server.port}`, server.pid, {
    connections,
    size,
    duration: `${SECONDS}s`,
    warmup: `${WARMUP}s`,
    timeout: scheme === 'udp' ? '200ms' : '10s',
    tls: { insecure: true },
  });
}

async function main(): Promise<void> {
  if (!has('taskset')) throw new Error('taskset is needed (util-linux)');
  spawnSync('taskset', ['-pc', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
  const lines: string[] = [
    TRANSPORTS_BEGIN,
    '## TLS, UDP, HTTP and WebSocket echo beside peers',
    '',
    `Produced by \`npm run bench:transports\` (benchmarks/transports.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}: each server alone on core 0, netecho bench (closed loop) on core 1, ${SECONDS} s after ${WARMUP} s ` +
      `warm-up, ${ROUNDS} interleaved rounds, medians; server CPU per round trip from /proc/PID/stat. Ratios are to the peer in the same table.`,
    '',
  ];
  const only = argValue('--only')?.split(',');
  for (const suite of suites()) {
    if (only !== undefined && !only.includes(suite.scheme)) continue;
    const cells = (suite.sizes ?? [1024, 65536]).map((size) => ({ size, connections: 50 }));
    const active = available(suite.peers);
    const samples = new Map<string, EchoSample[]>();
    const run = (server: Running, cell: { size: number; connections: number }): Promise<EchoSample> =>
      suite.load === 'wrk' ? measureWrk(server, cell.connections) : measure(suite.scheme, server, cell.size, cell.connections);
    await interleaved(ROUNDS, cells, active, run, (round, peer, cell, s) => {
      const k = `${peer.name}|${cell.size}`;
      samples.set(k, [...(samples.get(k) ?? []), s]);
      console.error(
        `round ${round} ${suite.scheme} ${peer.name.padEnd(44)} ${String(cell.size).padStart(6)} B x ${cell.connections}: ` +
          `${s.rtps.toLocaleString('en-US').padStart(8)} rt/s  ${s.cpuPerRt.toFixed(1).padStart(6)} µs CPU/rt  p99 ${s.p99} µs${s.errors ? `  ERRORS ${s.errors}` : ''}`,
      );
    });
    lines.push(`### ${suite.title}`, '');
    if (active.length === 0) {
      lines.push('Not measured: no peer could start here.', '');
      continue;
    }
    const unit = suite.unit ?? 'round trip';
    const others = active.slice(1);
    lines.push(
      `| server | message | ${unit}s/s | p50 µs | p99 µs | server CPU µs per ${unit} | ${others.map((o) => `vs ${o.name.split(' ')[0]}`).join(' | ')} |`,
      `| --- | --- | ---: | ---: | ---: | ---: | ${others.map(() => '---:').join(' | ')} |`,
    );
    for (const cell of cells) {
      const cpuOf = (name: string): number => median((samples.get(`${name}|${cell.size}`) ?? []).map((s) => s.cpuPerRt));
      for (const peer of active) {
        const ss = samples.get(`${peer.name}|${cell.size}`) ?? [];
        if (ss.length === 0) continue;
        const cpu = median(ss.map((s) => s.cpuPerRt));
        const errs = ss.reduce((n, s) => n + s.errors, 0);
        lines.push(
          `| ${peer.name}${errs ? ` (${errs} errors)` : ''} | ${cell.size >= 1024 ? `${cell.size / 1024} KiB` : `${cell.size} B`} x ${cell.connections} | ` +
            `${Math.round(median(ss.map((s) => s.rtps))).toLocaleString('en-US')} | ${median(ss.map((s) => s.p50))} | ${median(ss.map((s) => s.p99))} | ` +
            `${cpu.toFixed(1)} | ${others.map((o) => (Number.isNaN(cpuOf(o.name)) ? '–' : `${(cpu / cpuOf(o.name)).toFixed(2)}×`)).join(' | ')} |`,
        );
      }
    }
    const plots = cells.flatMap((cell) => {
      const plot = PRINT ? null : writeLatencyPlot(`plots/${suite.scheme}-${cell.size}-${cell.connections}.svg`, active.map((p) => ({ name: p.name, samples: samples.get(`${p.name}|${cell.size}`) ?? [] })));
      return plot === null ? [] : [`[${cell.size >= 1024 ? `${cell.size / 1024} KiB` : `${cell.size} B`} x ${cell.connections}](${plot})`];
    });
    if (plots.length > 0) lines.push('', `Latency by percentile, each server's median round: ${plots.join('; ')}.`);
    if (suite.note !== undefined) lines.push('', await suite.note());
    lines.push('');
  }
  const o: HarnessOptions = { rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP };
  const wanted = (name: string): boolean => only === undefined || only.includes(name);
  if (wanted('tcp')) lines.push(...(await compiledClientTable(o)));
  if (wanted('handshakes')) lines.push(...(await handshakeTable(o)));
  if (wanted('workers')) lines.push(...(await workersTable(o)));
  if (wanted('loaders')) lines.push(...(await loadGenerators(o)));
  if (wanted('agreement')) lines.push(...(await agreement(o)));
  lines.push(TRANSPORTS_END);
  const section = lines.join('\n');
  if (PRINT) {
    process.stdout.write(`${section}\n`);
    return;
  }
  const path = `${ROOT}docs/benchmarks.md`;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const old = transportsSection(doc);
  writeFileSync(path, old === '' ? `${doc.trimEnd()}\n\n${section}\n` : doc.replace(old, section));
  console.error('wrote the transports section of docs/benchmarks.md');
}

await main();
