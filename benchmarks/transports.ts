/**
 * TLS and WebSocket echo beside peers (npm run bench:transports), by the method in docs/benchmarks.md: netecho's
 * tls:// against Go's crypto/tls with io.Copy, netecho's ws:// against a minimal ws server. Same method as
 * bench/run.ts: server alone on core 0, load (netecho bench) on core 1, interleaved rounds, medians, server CPU
 * per round trip from /proc. Rewrites the marked transports section of docs/benchmarks.md (or prints with --print).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { bench } from '../src/bench/bench.js';
import {
  BIN_FLAGS,
  BUILD,
  CLIENT_CORE,
  PEERS,
  ROOT,
  TRANSPORTS_BEGIN,
  TRANSPORTS_END,
  available,
  goBinary,
  has,
  interleaved,
  median,
  transportsSection,
  type Peer,
  type Running,
} from './harness.js';
import { cpuMicros } from './proc.js';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROUNDS = Number(argValue('--rounds') ?? 3);
const SECONDS = Number(argValue('--seconds') ?? 4);
const WARMUP = Number(argValue('--warmup') ?? 1);
const PRINT = args.includes('--print');

interface Suite {
  scheme: 'tls' | 'ws';
  title: string;
  peers: Peer[];
}

function certificate(): { cert: string; key: string } | string {
  if (!has('openssl')) return 'openssl not installed';
  mkdirSync(BUILD, { recursive: true });
  const cert = `${BUILD}bench-cert.pem`;
  const key = `${BUILD}bench-key.pem`;
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  }
  return { cert, key };
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
  const pem = certificate();
  const tlsPeers: Peer[] =
    typeof pem === 'string'
      ? []
      : [
          { name: 'netecho', command: netecho((p) => `tls://127.0.0.1:${p}`, ['--cert', pem.cert, '--key', pem.key]) },
          {
            name: 'Go crypto/tls (goroutine per conn, io.Copy)',
            command: (port) => (goBinary('tls_echo') ? [goBinary('tls_echo') as string, String(port), pem.cert, pem.key] : 'go not installed (apt-get install golang-go)'),
            env: { GOMAXPROCS: '1' },
          },
        ];
  return [
    { scheme: 'tls', title: 'TLS echo (TLS 1.3, ECDSA P-256)', peers: tlsPeers },
    {
      scheme: 'ws',
      title: 'WebSocket echo (binary messages, no compression)',
      peers: [
        { name: 'netecho', command: netecho((p) => `ws://127.0.0.1:${p}`) },
        { name: 'minimal ws server (ws README)', command: (port) => [process.execPath, `${PEERS}ws_server.mjs`, String(port)] },
      ],
    },
  ];
}

interface Sample {
  rtps: number;
  p50: number;
  p99: number;
  cpuPerRt: number;
  errors: number;
}

async function measure(scheme: string, server: Running, size: number, connections: number): Promise<Sample> {
  let cpu0 = 0;
  let cpu1 = 0;
  const r = await bench(
    `${scheme}://127.0.0.1:${server.port}`,
    { connections, size, duration: `${SECONDS}s`, warmup: `${WARMUP}s`, timeout: '10s', tls: { insecure: true } },
    { onMeasuring: () => (cpu0 = cpuMicros(server.pid)), onStopped: () => (cpu1 = cpuMicros(server.pid)) },
  );
  return { rtps: r.roundTripsPerSec, p50: r.latencyUs?.p50 ?? NaN, p99: r.latencyUs?.p99 ?? NaN, cpuPerRt: r.roundTrips > 0 ? (cpu1 - cpu0) / r.roundTrips : NaN, errors: r.errors.total };
}

async function main(): Promise<void> {
  if (!has('taskset')) throw new Error('taskset is needed (util-linux)');
  spawnSync('taskset', ['-pc', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
  const cells = [
    { size: 1024, connections: 50 },
    { size: 65536, connections: 50 },
  ];
  const lines: string[] = [
    TRANSPORTS_BEGIN,
    '## TLS and WebSocket echo beside peers',
    '',
    `Produced by \`npm run bench:transports\` (benchmarks/transports.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}: each server alone on core 0, netecho bench (closed loop) on core 1, ${SECONDS} s after ${WARMUP} s ` +
      `warm-up, ${ROUNDS} interleaved rounds, medians; server CPU per round trip from /proc/PID/stat. Ratios are to the peer in the same table.`,
    '',
  ];
  for (const suite of suites()) {
    const active = available(suite.peers);
    const samples = new Map<string, Sample[]>();
    await interleaved(ROUNDS, cells, active, (server, cell) => measure(suite.scheme, server, cell.size, cell.connections), (round, peer, cell, s) => {
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
    lines.push('| server | message | round trips/s | p50 µs | p99 µs | server CPU µs per round trip | vs peer |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const cell of cells) {
      const peerName = active[1]?.name;
      const peerCpu = peerName === undefined ? NaN : median((samples.get(`${peerName}|${cell.size}`) ?? []).map((s) => s.cpuPerRt));
      for (const peer of active) {
        const ss = samples.get(`${peer.name}|${cell.size}`) ?? [];
        if (ss.length === 0) continue;
        const cpu = median(ss.map((s) => s.cpuPerRt));
        const errs = ss.reduce((n, s) => n + s.errors, 0);
        lines.push(
          `| ${peer.name}${errs ? ` (${errs} errors)` : ''} | ${cell.size >= 1024 ? `${cell.size / 1024} KiB` : `${cell.size} B`} x ${cell.connections} | ` +
            `${Math.round(median(ss.map((s) => s.rtps))).toLocaleString('en-US')} | ${median(ss.map((s) => s.p50))} | ${median(ss.map((s) => s.p99))} | ` +
            `${cpu.toFixed(1)} | ${Number.isNaN(peerCpu) ? '–' : `${(cpu / peerCpu).toFixed(2)}×`} |`,
        );
      }
    }
    lines.push('');
  }
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
