/**
 * The relay beside its peers (npm run bench:relay): netecho relay, Socket.IO (with @socket.io/redis-adapter for two
 * instances) and a minimal ws broadcast server, loaded by the same fan-out client (netecho bench --relay's engine;
 * Socket.IO's protocol spoken over the same ws client). Servers (and Redis) on core 0, the client on core 1;
 * interleaved rounds, medians. The figure: server CPU per delivered message, from /proc/PID/stat (every instance
 * summed), with deliveries/s and p99 publish-to-delivery latency beside it. Every delivery is checked; a run with
 * any lost, duplicated, reordered or altered delivery is shown as such. Then one room with 10,000 subscribers on one
 * netecho process. Rewrites the marked relay section of docs/benchmarks.md (or prints it with --print).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { benchRelay, type RelayBenchHooks } from '../src/bench/relay/bench-relay.js';
import type { RelayBenchResult } from '../src/bench/relay/result.js';
import { BIN_FLAGS, CLIENT_CORE, PEERS, RELAY_BEGIN, RELAY_END, ROOT, argValue, has, median, start, writeLatencyPlot, writeSection, type Curve, type Running } from './harness.js';
import { cpuMicros, rssBytes } from './proc.js';
import { dialSocketIo } from './socketio-member.js';

const ROUNDS = Number(argValue('--rounds') ?? 3);
const SECONDS = Number(argValue('--seconds') ?? 4);
const WARMUP = Number(argValue('--warmup') ?? 1);
const PRINT = argValue('--print') !== undefined;
const BIG = Number(argValue('--big') ?? 10_000);
/** For a quick look: only the servers whose name contains this, only this many instances. */
const ONLY = argValue('--only');
const INSTANCES = argValue('--instances');

interface Scenario {
  title: string;
  rooms: number;
  publishers: number;
  subscribers: number;
  rate: number;
}

const SCENARIOS: Scenario[] = [
  { title: '1 room x 1,000 subscribers x 1 publisher (20 msg/s)', rooms: 1, publishers: 1, subscribers: 1000, rate: 20 },
  // 10 msg/s per room: two instances and Redis on one core stay below saturation, so latency is not a queue's.
  { title: '100 rooms x 10 members (1 publisher, 9 subscribers; 10 msg/s each)', rooms: 100, publishers: 1, subscribers: 9, rate: 10 },
];

interface System {
  name: string;
  /** The command for one instance on `port` (with Redis at `redis` for two instances). */
  command: (port: number, redis: string | null) => string[];
  env?: (redis: string | null) => NodeJS.ProcessEnv;
  /** It can share rooms between two instances. */
  scales: boolean;
  dial?: RelayBenchHooks['dial'];
}

const SYSTEMS: System[] = [
  {
    name: 'netecho relay',
    command: (port, redis) => [process.execPath, ...BIN_FLAGS, `${ROOT}bin/netecho.js`, 'relay', `ws://127.0.0.1:${port}`, '--log-level', 'warn', ...(redis === null ? [] : ['--redis', redis])],
    scales: true,
  },
  {
    name: 'Socket.IO 4',
    command: (port) => [process.execPath, `${PEERS}socketio_relay.mjs`, String(port)],
    env: (redis) => (redis === null ? {} : { REDIS_URL: redis }),
    scales: true,
    dial: dialSocketIo,
  },
  { name: 'minimal ws broadcast', command: (port) => [process.execPath, `${PEERS}ws_broadcast.mjs`, String(port)], scales: false },
  { name: 'floor: framed once, written', command: (port) => [process.execPath, `${PEERS}ws_floor.mjs`, String(port)], scales: false },
];

interface Sample {
  cpuPerDelivery: number;
  deliveriesPerSec: number;
  p99: number;
  errors: number;
  clientCpu: number;
  redisCpuPerDelivery: number;
  curve: Curve | null;
}

async function startRedis(): Promise<Running> {
  const r = await start({ name: 'redis', command: (port) => ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'] });
  if (typeof r === 'string') throw new Error(r);
  return r;
}

async function measure(system: System, scenario: Scenario, instances: 1 | 2): Promise<Sample> {
  const redis = instances === 2 ? await startRedis() : null;
  const redisUrl = redis === null ? null : `redis://127.0.0.1:${redis.port}`;
  const servers: Running[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const s = await start({ name: system.name, command: (port) => system.command(port, redisUrl), env: system.env?.(redisUrl) });
      if (typeof s === 'string') throw new Error(s);
      servers.push(s);
    }
    const urls = servers.map((s) => `ws://127.0.0.1:${s.port}`);
    const cpu = (): number => servers.reduce((n, s) => n + cpuMicros(s.pid), 0);
    let c0 = 0;
    let c1 = 0;
    let r0 = 0;
    let r1 = 0;
    const r: RelayBenchResult = await benchRelay(
      urls[0] ?? '',
      { rooms: scenario.rooms, publishers: scenario.publishers, subscribers: scenario.subscribers, rate: scenario.rate, size: 64, duration: `${SECONDS}s`, warmup: `${WARMUP}s`, timeout: '10s', subscribeUrls: urls.slice(1) },
      {
        dial: system.dial,
        onMeasuring: () => {
          c0 = cpu();
          r0 = redis === null ? 0 : cpuMicros(redis.pid);
        },
        onStopped: () => {
          c1 = cpu();
          r1 = redis === null ? 0 : cpuMicros(redis.pid);
        },
      },
    );
    return {
      cpuPerDelivery: r.delivered > 0 ? (c1 - c0) / r.delivered : NaN,
      redisCpuPerDelivery: r.delivered > 0 ? (r1 - r0) / r.delivered : NaN,
      deliveriesPerSec: r.deliveriesPerSec,
      p99: r.latencyUs?.p99 ?? NaN,
      errors: r.errors,
      clientCpu: r.clientCpuPercent,
      curve: r.latencyCurve,
    };
  } finally {
    for (const s of servers) await s.stop();
    await redis?.stop();
  }
}

/** One netecho process, one room, BIG subscribers: every message delivered? */
async function bigRoom(): Promise<string> {
  // BIG subscribers and a publisher: above the default caps of 10,000 connections and members per room.
  const caps = ['--max-connections', String(BIG + 100), '--max-members-per-room', String(BIG + 100)];
  const s = await start({ name: 'netecho relay', command: (port) => [...(SYSTEMS[0] as System).command(port, null), ...caps] });
  if (typeof s === 'string') return `not measured: ${s}`;
  try {
    const rss0 = rssBytes(s.pid);
    const r = await benchRelay(`ws://127.0.0.1:${s.port}`, { rooms: 1, publishers: 1, subscribers: BIG, rate: 2, size: 64, duration: `${SECONDS}s`, warmup: `${WARMUP}s`, timeout: '20s' });
    const rss = rssBytes(s.pid);
    return (
      `One room with ${BIG.toLocaleString('en-US')} subscribers on one netecho process (1 publisher, 2 msg/s, ${SECONDS} s): ` +
      `${r.delivered.toLocaleString('en-US')} of ${r.expectedDeliveries.toLocaleString('en-US')} deliveries made, ` +
      `${r.lost} lost, ${r.duplicated} duplicated, ${r.reordered} reordered, ${r.mismatched} altered; p50 ${r.latencyUs?.p50 ?? '–'} µs, ` +
      `p99 ${r.latencyUs?.p99 ?? '–'} µs from publish to delivery; server RSS ${Math.round(rss / 1048576)} MiB ` +
      `(${Math.round((rss - rss0) / BIG)} bytes per subscriber over the idle process).`
    );
  } catch (err) {
    return `One room with ${BIG} subscribers: failed (${(err as Error).message}).`;
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  if (!has('taskset')) throw new Error('taskset is needed (util-linux)');
  spawnSync('taskset', ['-pc', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
  const withRedis = has('redis-server');
  if (!withRedis) console.error('skipping two instances: redis-server not installed (apt-get install redis-server)');
  const samples = new Map<string, Sample[]>();
  const key = (sys: System, sc: Scenario, n: number): string => `${sys.name}|${sc.title}|${n}`;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of SCENARIOS) {
      for (const instances of withRedis ? ([1, 2] as const) : ([1] as const)) {
        for (const system of SYSTEMS) {
          if ((instances === 2 && !system.scales) || (ONLY !== undefined && !system.name.includes(ONLY)) || (INSTANCES !== undefined && Number(INSTANCES) !== instances)) continue;
          const s = await measure(system, scenario, instances).catch((err: Error) => {
            console.error(`round ${round} ${system.name} ${scenario.title} x${instances}: FAILED ${err.message}`);
            return null;
          });
          if (s === null) continue;
          samples.set(key(system, scenario, instances), [...(samples.get(key(system, scenario, instances)) ?? []), s]);
          console.error(
            `round ${round} ${system.name.padEnd(22)} ${String(instances)} instance(s) ${scenario.title.slice(0, 40).padEnd(40)}: ` +
              `${s.cpuPerDelivery.toFixed(2).padStart(6)} µs CPU/delivery  ${s.deliveriesPerSec.toLocaleString('en-US').padStart(7)}/s  p99 ${s.p99} µs  client ${s.clientCpu}%` +
              `${instances === 2 ? `  Redis ${s.redisCpuPerDelivery.toFixed(2)} µs/delivery` : ''}${s.errors ? `  ERRORS ${s.errors}` : ''}`,
          );
        }
      }
    }
  }
  const big = BIG > 0 ? await bigRoom() : 'The big room was not measured (--big 0).';
  console.error(big);
  const lines = [
    RELAY_BEGIN,
    '## Relay fan-out beside Socket.IO and a minimal ws broadcast',
    '',
    `Produced by \`npm run bench:relay\` (benchmarks/relay.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}. Every server (both instances, and Redis) on core 0; the load on core 1: netecho bench --relay's ` +
      `engine, speaking Socket.IO's protocol (Engine.IO 4, WebSocket only) over the same ws client for Socket.IO. 64-byte text messages, ` +
      `${SECONDS} s measured after ${WARMUP} s warm-up, ${ROUNDS} interleaved rounds, medians. Server CPU per delivered message is the ` +
      'user+sys time of every instance from /proc/PID/stat over the window divided by deliveries (Redis shown apart); latency is from ' +
      "each message's scheduled publish time to its arrival at each subscriber. Every delivery is checked (bytes, order, exactly once).",
    '',
    '| scenario | instances | server | server CPU µs per delivery | vs Socket.IO | deliveries/s | p99 µs | vs Socket.IO p99 | Redis CPU µs per delivery | client CPU | errors |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const plots: string[] = [];
  for (const scenario of SCENARIOS) {
    for (const instances of [1, 2] as const) {
      const plot = PRINT
        ? null
        : writeLatencyPlot(`plots/relay-${SCENARIOS.indexOf(scenario) + 1}-x${instances}.svg`, SYSTEMS.map((sys) => ({ name: sys.name, samples: samples.get(key(sys, scenario, instances)) ?? [] })));
      if (plot !== null) plots.push(`[${scenario.title.split(' (')[0]}, ${instances === 1 ? 'one instance' : 'two instances'}](${plot})`);
      const sio = samples.get(key(SYSTEMS[1] as System, scenario, instances)) ?? [];
      const sioCpu = median(sio.map((s) => s.cpuPerDelivery));
      const sioP99 = median(sio.map((s) => s.p99));
      for (const system of SYSTEMS) {
        const ss = samples.get(key(system, scenario, instances)) ?? [];
        if (ss.length === 0) continue;
        const cpu = median(ss.map((s) => s.cpuPerDelivery));
        const p99 = median(ss.map((s) => s.p99));
        const ratio = (a: number, b: number): string => (Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
        lines.push(
          `| ${scenario.title} | ${instances} | ${system.name} | ${cpu.toFixed(2)} | ${ratio(cpu, sioCpu)} | ` +
            `${Math.round(median(ss.map((s) => s.deliveriesPerSec))).toLocaleString('en-US')} | ${p99} | ${ratio(p99, sioP99)} | ` +
            `${instances === 2 ? median(ss.map((s) => s.redisCpuPerDelivery)).toFixed(2) : '–'} | ${median(ss.map((s) => s.clientCpu))}% | ${ss.reduce((n, s) => n + s.errors, 0)} |`,
        );
      }
    }
  }
  if (plots.length > 0) lines.push('', `Latency by percentile, each server's median round: ${plots.join('; ')}.`);
  lines.push('', big, '', RELAY_END);
  const section = lines.join('\n');
  if (PRINT) process.stdout.write(`${section}\n`);
  else {
    writeSection(section, RELAY_BEGIN, RELAY_END);
    console.error('wrote the relay section of docs/benchmarks.md');
  }
}

await main();
