/**
 * The benchmark harness (npm run bench). The method is in docs/benchmarks.md:
 *  - each server runs alone, pinned to core 0; this harness (the load) pins itself to core 1;
 *  - rounds are interleaved (A B C ... A B C ...), medians reported, ratios to Go measured in the same run;
 *  - server CPU per round trip from /proc/PID/stat over the measured window.
 * Writes docs/benchmarks.md (or prints with --print). Loopback only; every run bounded in time.
 *
 *   npm run bench                       # the full matrix (about 25 minutes)
 *   npm run bench -- --quick            # 1 KiB and 64 KiB at 50 connections, 3 rounds (about 5 minutes)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rssBytes } from './proc.js';
import {
  BIN_FLAGS,
  CLIENT_CORE,
  PEERS,
  RELAY_BEGIN,
  RELAY_END,
  ROOT,
  argValue,
  available,
  goBinary,
  has,
  interleaved,
  markedSection,
  measureEcho,
  median,
  start,
  transportsSection,
  writeLatencyPlot,
  type EchoSample,
  type Peer,
  type Running,
} from './harness.js';

const TUTORIAL = fileURLToPath(new URL('../../test/peers/tutorial_threaded_server.py', import.meta.url));
const QUICK = argValue('--quick') !== undefined;
const PRINT = argValue('--print') !== undefined;
const ROUNDS = Number(argValue('--rounds') ?? 3);
const SECONDS = Number(argValue('--seconds') ?? 4);
const WARMUP = Number(argValue('--warmup') ?? 1);
const IDLE = Number(argValue('--idle') ?? 10_000);
/**
 * Only the idle-memory measurement (printed), for a quick check; with it, netecho is measured a second time without
 * the V8 flags `npm start` passes (what the bare `netecho` command costs), to show what the flag is worth.
 */
const IDLE_ONLY = argValue('--idle-only') !== undefined;

const systemPythonHas = (mod: string): boolean => spawnSync('/usr/bin/python3', ['-c', `import ${mod}`]).status === 0;

const netechoServe = (port: number, flags: readonly string[]): string[] =>
  [process.execPath, ...flags, `${ROOT}bin/netecho.js`, 'serve', `tcp://127.0.0.1:${port}`, '--log-level', 'warn', '--max-connections', '20000', '--max-connections-per-ip', '20000'];

/** netecho as the bare command runs it: no V8 flags (measured with --idle-only). */
const NETECHO_WITHOUT_FLAGS: Peer = { name: 'netecho, no V8 flags (the bare command)', command: (port) => netechoServe(port, []) };

const PEER_LIST: Peer[] = [
  {
    name: 'netecho',
    command: (port) => netechoServe(port, BIN_FLAGS),
  },
  { name: 'Go (goroutine per conn, io.Copy)', command: (port) => goBinary('echo') ? [goBinary('echo') as string, String(port)] : 'go not installed (apt-get install golang-go)', env: { GOMAXPROCS: '1' } },
  { name: 'Node s.pipe(s)', command: (port) => [process.execPath, `${PEERS}pipe_server.mjs`, String(port)] },
  { name: 'Python asyncio', command: (port) => (has('python3') ? ['python3', `${PEERS}asyncio_server.py`, String(port)] : 'python3 not installed') },
  {
    name: 'Python uvloop',
    command: (port) => (systemPythonHas('uvloop') ? ['/usr/bin/python3', `${PEERS}asyncio_server.py`, String(port), '--uvloop'] : 'uvloop not installed (apt-get install python3-uvloop)'),
  },
  {
    name: "tutorial's threaded server",
    command: (port) => (existsSync(TUTORIAL) ? ['python3', TUTORIAL, String(port)] : 'test/peers/tutorial_threaded_server.py is missing'),
  },
];

interface Cell {
  size: number;
  connections: number;
}

function measure(server: Running, cell: Cell): Promise<EchoSample> {
  return measureEcho(`tcp://127.0.0.1:${server.port}`, server.pid, {
    connections: cell.connections,
    size: cell.size,
    duration: `${SECONDS}s`,
    warmup: `${WARMUP}s`,
    timeout: '10s',
  });
}

async function idleBytes(server: Running, count: number): Promise<number> {
  const before = rssBytes(server.pid);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(500, count - i) },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const s = net.connect({ port: server.port, host: '127.0.0.1' }, () => resolve(s));
            s.once('error', reject);
          }),
      ),
    );
    sockets.push(...batch);
  }
  // Let the server finish accepting (it has a backlog): wait until its RSS stops growing.
  let last = 0;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = rssBytes(server.pid);
    if (Math.abs(now - last) < 64 * 1024) break;
    last = now;
  }
  const after = rssBytes(server.pid);
  for (const s of sockets) s.destroy();
  return (after - before) / count;
}

async function clientCheck(): Promise<string> {
  const client = goBinary('client');
  const goServer = PEER_LIST[1] as Peer;
  if (client === null) return 'skipped: go not installed';
  const server = await start(goServer);
  if (typeof server === 'string') return `skipped: ${server}`;
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      ours.push((await measure(server, { size: 1024, connections: 50 })).rtps);
      const r = spawnSync('taskset', ['-c', CLIENT_CORE, client, `127.0.0.1:${server.port}`, '50', '1024', String(SECONDS)], {
        env: { ...process.env, GOMAXPROCS: '1' },
        encoding: 'utf8',
      });
      theirs.push(Number(r.stdout.trim()));
    }
  } finally {
    await server.stop();
  }
  const ratio = median(ours) / median(theirs);
  return `netecho bench drove ${Math.round(median(ours)).toLocaleString('en-US')} round trips/s, the Go client ${Math.round(median(theirs)).toLocaleString('en-US')}/s (median of ${ROUNDS}; 1 KiB, 50 connections, Go server on core 0, client on core 1): **${(ratio * 100).toFixed(0)}%**`;
}

const WHY: string[] = [
  "## Where netecho's echo loop gets its speed (and notes on the peers)",
  "",
  "- Reads bypass Node's stream machinery: each accepted handle is adopted into a socket with `onread`, which reads",
  "  into one scratch buffer per listener and calls the echo function directly; no Buffer is allocated per read.",
  "- The bytes are copied out through a latin1 string (exact for all 256 byte values; both copies in C++). Copies",
  "  through `TypedArray#set` (`Buffer#copy`, `Buffer.from(view)`) measured ~9× slower per 64 KiB once any",
  "  SharedArrayBuffer exists in the process — pino's dependency atomic-sleep creates one at load.",
  "- A connection reading large chunks (16 KiB or more) is lent a 64 KiB read buffer of its own (at most 64 per",
  "  listener) and its reads are written straight from it, with no copy; the buffer is replaced when a write is",
  "  still under way, and given back after a small read or at close (src/transports/read-buffers.ts). Server CPU per",
  "  64 KiB round trip under the Go client: 34.5, 33.4, 39.3 µs before, 24.8, 27.2, 26.2 µs after.",
  "- V8's young generation is capped at 4 MiB a half (`npm start` and `serve --workers` pass the flag): idle memory per connection 5.1 → 3.8 KB, with",
  "  no measurable change in throughput.",
  "- No timer per socket: Node's `socket.setTimeout()` refreshes a timer on every read and write and measured 2.5× the",
  "  server CPU per 64 KiB round trip; one sweep per server compares byte counters instead.",
  "- At 1 KiB the load generator runs at ~99% of its core for every fast server, so round trips/s there measure the",
  "  client as much as the server; server CPU per round trip is the figure to compare.",
  "- Some servers fall into a slow mode at 64 KiB (p50 ≈ 15 ms, the server mostly idle): uvloop and the tutorial's",
  "  server in every round here, `s.pipe(s)` in some rounds. netecho showed it too before the two changes above."
];

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v taskset']).status !== 0) throw new Error('taskset is needed (util-linux)');
  if (cpus().length < 2) throw new Error('two cores are needed: server on one, load on the other');
  // Pin ourselves, the load generator, to the client core.
  spawnSync('taskset', ['-pc', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
  const cells: Cell[] = IDLE_ONLY
    ? []
    : QUICK
    ? [
        { size: 1024, connections: 50 },
        { size: 65536, connections: 50 },
      ]
    : [64, 1024, 65536].flatMap((size) => [1, 50, 1000].map((connections) => ({ size, connections })));
  const active = available(IDLE_ONLY ? [...PEER_LIST.slice(0, 1), NETECHO_WITHOUT_FLAGS, ...PEER_LIST.slice(1)] : PEER_LIST);
  const samples = new Map<string, EchoSample[]>();
  const key = (peer: string, c: Cell): string => `${peer}|${c.size}|${c.connections}`;
  await interleaved(ROUNDS, cells, active, measure, (round, peer, cell, s) => {
    samples.set(key(peer.name, cell), [...(samples.get(key(peer.name, cell)) ?? []), s]);
    console.error(
      `round ${round} ${peer.name.padEnd(32)} ${String(cell.size).padStart(6)} B x ${String(cell.connections).padStart(4)}: ` +
        `${s.rtps.toLocaleString('en-US').padStart(9)} rt/s  ${s.cpuPerRt.toFixed(1).padStart(6)} µs CPU/rt  p99 ${s.p99} µs  client ${s.clientCpu}%${s.errors ? `  ERRORS ${s.errors}` : ''}`,
    );
  });
  const idle: Array<[string, number]> = [];
  if (IDLE > 0) {
    for (const peer of active) {
      const runs: number[] = [];
      for (let round = 0; round < Math.min(ROUNDS, 2); round++) {
        const server = await start(peer);
        if (typeof server === 'string') continue;
        try {
          runs.push(await idleBytes(server, IDLE));
        } finally {
          await server.stop();
        }
      }
      idle.push([peer.name, median(runs)]);
      console.error(`idle ${peer.name}: ${Math.round(median(runs))} bytes per connection`);
    }
  }
  const client = IDLE_ONLY ? 'not measured (--idle-only)' : await clientCheck();
  console.error(client);
  const doc = render(cells, active, samples, idle, client, key);
  if (PRINT || IDLE_ONLY) process.stdout.write(doc);
  else {
    // Keep the sections the other harnesses wrote (transports.ts, relay.ts).
    const path = `${ROOT}docs/benchmarks.md`;
    const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const kept = [transportsSection(old), markedSection(old, RELAY_BEGIN, RELAY_END)].filter((x) => x !== '');
    // And what was written by hand after the relay tables (the reading of them).
    const after = old.includes(RELAY_END) ? old.slice(old.indexOf(RELAY_END) + RELAY_END.length).trim() : '';
    writeFileSync(path, `${kept.length === 0 ? doc : `${doc}\n${kept.join('\n\n')}\n`}${after === '' ? '' : `\n${after}\n`}`);
    console.error('wrote docs/benchmarks.md');
  }
}

/** How every figure on the page is measured (the method the harnesses follow). */
const METHOD = [
  '## Method',
  '',
  'The machines here have 2 cores shared with other work, so absolute numbers drift by 20% or more from run to run. Every',
  'published figure is therefore a **ratio against a peer measured in the same run**, the median of several interleaved',
  'rounds (A B A B ...), never one absolute time. Speed is shown here, by the harnesses; the test suite shows correctness',
  'and holds no timed assertion about speed.',
  '',
  '- The server under test gets one core (`taskset -c 0`), the load client the other (`taskset -c 1`); peers run the same',
  '  way (Go with `GOMAXPROCS=1`, Python in one process).',
  '- Each cell warms up (the same load, not recorded), then measures for a fixed time; 3 rounds or more.',
  "- The client's CPU is recorded too: a client at 100% of its core measures the client, not the server.",
  "- Each table links a plot of the latency percentile curves (docs/plots/*.svg; each server's round with the median p99),",
  '  drawn by the same code as `netecho bench --report`: the tail, not only p50 and p99.',
  '',
  '| figure | how | why |',
  '| --- | --- | --- |',
  '| round trips per second | closed loop: each connection sends a message, waits for the whole echo, repeats | the classic echo benchmark |',
  "| server CPU per round trip (µs) | the server's user+system time from `/proc/PID/stat` over the window, divided by the round trips | independent of the client's speed: the fairest efficiency figure on 2 cores |",
  '| latency p50 / p99 | HDR histogram at microsecond resolution; at a fixed rate, from the scheduled send time (coordinated omission corrected) | what users feel |',
  '| bytes per idle connection | RSS after opening N idle connections, minus RSS before, divided by N | how many clients one machine holds |',
  '',
  'Peers (a missing one is skipped with a message): an idiomatic Go server (a goroutine per connection, `io.Copy`; Go',
  "copies TCP to TCP with `splice`, never through user space), the plainest Node server (`s.pipe(s)`, the floor), Python",
  "asyncio and uvloop protocol servers, and a program behaving as the tutorial's threaded server (test/peers/).",
  '',
];

function render(
  cells: Cell[],
  peers: Peer[],
  samples: Map<string, EchoSample[]>,
  idle: Array<[string, number]>,
  client: string,
  key: (p: string, c: Cell) => string,
): string {
  const go = PEER_LIST[1]?.name ?? '';
  const fmtSize = (b: number): string => (b >= 1024 ? `${b / 1024} KiB` : `${b} B`);
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Produced by \`npm run bench${QUICK ? ' -- --quick' : ''}\` (benchmarks/run.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores shared with other work. Each server alone, pinned to core 0; the load ` +
      `(netecho bench, closed loop) pinned to core 1; ${SECONDS} s measured after ${WARMUP} s warm-up per cell; ${ROUNDS} interleaved rounds; medians. ` +
      'Server CPU is user+system time from /proc/PID/stat over the measured window divided by the round trips in it. ' +
      'Absolute numbers drift 20% or more between runs on these machines: read the ratios to Go, measured in the same run.',
    '',
    ...METHOD,
  ];
  for (const cell of cells) {
    const goCpu = median((samples.get(key(go, cell)) ?? []).map((s) => s.cpuPerRt));
    const goRt = median((samples.get(key(go, cell)) ?? []).map((s) => s.rtps));
    lines.push(`## ${fmtSize(cell.size)} messages, ${cell.connections} connection${cell.connections > 1 ? 's' : ''}`, '');
    const plot = PRINT ? null : writeLatencyPlot(`plots/echo-${cell.size}-${cell.connections}.svg`, peers.map((p) => ({ name: p.name, samples: samples.get(key(p.name, cell)) ?? [] })));
    if (plot !== null) lines.push(`![Latency by percentile, ${fmtSize(cell.size)} x ${cell.connections}: each server's median round](${plot})`, '');
    lines.push('| server | round trips/s | vs Go | p50 µs | p99 µs | server CPU µs per round trip | vs Go | client CPU |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const peer of peers) {
      const ss = samples.get(key(peer.name, cell)) ?? [];
      if (ss.length === 0) continue;
      const rt = median(ss.map((s) => s.rtps));
      const cpu = median(ss.map((s) => s.cpuPerRt));
      const errs = ss.reduce((n, s) => n + s.errors, 0);
      lines.push(
        `| ${peer.name}${errs ? ` (${errs} errors)` : ''} | ${Math.round(rt).toLocaleString('en-US')} | ${Number.isNaN(goRt) ? '–' : `${(rt / goRt).toFixed(2)}×`} | ` +
          `${median(ss.map((s) => s.p50))} | ${median(ss.map((s) => s.p99))} | ${cpu.toFixed(1)} | ${Number.isNaN(goCpu) ? '–' : `${(cpu / goCpu).toFixed(2)}×`} | ${median(ss.map((s) => s.clientCpu))}% |`,
      );
    }
    lines.push('');
  }
  if (idle.length > 0) {
    lines.push(`## Memory per idle connection (${IDLE.toLocaleString('en-US')} connections)`, '', '| server | bytes per idle connection (RSS after − before) / N |', '| --- | ---: |');
    for (const [name, bytes] of idle) lines.push(`| ${name} | ${Number.isNaN(bytes) ? '–' : Math.round(bytes).toLocaleString('en-US')} |`);
    lines.push('');
  }
  lines.push('## Is the load generator the bottleneck?', '', client, '');
  lines.push(...WHY, '');
  return `${lines.join('\n')}\n`;
}

await main();
