/**
 * TCP echo loaded by a compiled client (benchmarks/peers/client.go) instead of netecho bench, so the load costs
 * the same whichever server it drives and a Node client's own pauses cannot flatter a Node server; and
 * `serve --workers 2` against one process, everything free to use both cores. Part of npm run bench:transports.
 */
import { spawnSync } from 'node:child_process';
import { BIN_FLAGS, CLIENT_CORE, ROOT, goBinary, interleaved, median, type HarnessOptions, type Peer, type Running } from './harness.js';
import { cpuTreeMicros } from './proc.js';

interface Sample {
  rtps: number;
  cpuPerRt: number;
  /** The server's CPU over the window, in cores (1.0 = one core busy throughout). */
  cores: number;
}

const GO_MISSING = 'go not installed (apt-get install golang-go)';

const netechoTcp = (extra: string[] = []): Peer['command'] => (port) => [process.execPath, ...BIN_FLAGS, `${ROOT}bin/netecho.js`, 'serve', `tcp://127.0.0.1:${port}`, '--log-level', 'warn', ...extra];

/** Run the Go client against `server` (a warm-up first, not recorded) and read the server's CPU over the window. */
function drive(client: string, server: Running, size: number, connections: number, o: HarnessOptions, cores: string, procs: string): Sample {
  const run = (seconds: number): number => {
    const r = spawnSync('taskset', ['-c', cores, client, `127.0.0.1:${server.port}`, String(connections), String(size), String(seconds)], {
      env: { ...process.env, GOMAXPROCS: procs },
      encoding: 'utf8',
      timeout: (seconds + 30) * 1000,
    });
    return Number(r.stdout.trim());
  };
  if (o.warmup > 0) run(o.warmup);
  const c0 = cpuTreeMicros(server.pid);
  const t0 = process.hrtime.bigint();
  const rtps = run(o.seconds);
  const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = cpuTreeMicros(server.pid) - c0;
  const roundTrips = rtps * o.seconds;
  return { rtps: Math.round(rtps), cpuPerRt: roundTrips > 0 ? cpu / roundTrips : NaN, cores: cpu / elapsedUs };
}

function render(title: string, head: string, cells: number[], peers: Peer[], samples: Map<string, Sample[]>, refs: string[]): string[] {
  const present = refs.filter((r) => peers.some((p) => p.name === r));
  const lines = [
    title,
    '',
    head,
    `| server | message | round trips/s | server CPU µs per round trip | ${present.map((r) => `vs ${r}`).join(' | ')} | server cores busy |`,
    `| --- | --- | ---: | ---: | ${present.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const size of cells) {
    const of = (name: string): Sample[] => samples.get(`${name}|${size}`) ?? [];
    for (const peer of peers) {
      const ss = of(peer.name);
      if (ss.length === 0) continue;
      const cpu = median(ss.map((s) => s.cpuPerRt));
      const ratios = present.map((r) => {
        const refCpu = median(of(r).map((s) => s.cpuPerRt));
        return Number.isNaN(refCpu) ? '–' : `${(cpu / refCpu).toFixed(2)}×`;
      });
      lines.push(
        `| ${peer.name} | ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} x 50 | ${Math.round(median(ss.map((s) => s.rtps))).toLocaleString('en-US')} | ` +
          `${cpu.toFixed(1)} | ${ratios.join(' | ')} | ${median(ss.map((s) => s.cores)).toFixed(2)} |`,
      );
    }
  }
  lines.push('');
  return lines;
}

/** TCP echo, 1 KiB and 64 KiB, 50 connections, servers on core 0 and the Go client on core 1. */
export async function compiledClientTable(o: HarnessOptions): Promise<string[]> {
  const title = '### TCP echo loaded by a compiled client (Go, 50 connections, one goroutine each)';
  const client = goBinary('client');
  const echo = goBinary('echo');
  if (client === null || echo === null) return [title, '', `Not measured: ${GO_MISSING}.`, ''];
  const peers: Peer[] = [
    { name: 'netecho', command: netechoTcp() },
    { name: 'Go io.Copy', command: (port) => [echo, String(port)], env: { GOMAXPROCS: '1' } },
    { name: 'Go Read/Write loop', command: (port) => [echo, String(port), 'rw'], env: { GOMAXPROCS: '1' } },
  ];
  const cells = [1024, 65536];
  const samples = new Map<string, Sample[]>();
  await interleaved(o.rounds, cells, peers, async (server, size) => drive(client, server, size, 50, o, CLIENT_CORE, '1'), (round, peer, size, s) => {
    samples.set(`${peer.name}|${size}`, [...(samples.get(`${peer.name}|${size}`) ?? []), s]);
    console.error(`round ${round} tcp/go-client ${peer.name.padEnd(12)} ${String(size).padStart(6)} B: ${s.rtps.toLocaleString('en-US').padStart(8)} rt/s  ${s.cpuPerRt.toFixed(1)} µs CPU/rt`);
  });
  return render(
    title,
    'The same closed loop as above (write a message, read it all back), from a Go program on core 1 (GOMAXPROCS=1), so every server meets the same client. ' +
      "Server CPU per round trip is the figure to compare. Go's io.Copy between the two ends of a TCPConn becomes splice(2) (the echoed bytes " +
      'never enter the process); the Read/Write loop is the same server copying through a 64 KiB buffer, as a server that looks at the bytes must.\n',
    cells,
    peers,
    samples,
    ['Go io.Copy', 'Go Read/Write loop'],
  );
}

/**
 * `serve --workers 2` against one process: servers and the Go client (GOMAXPROCS=2) may all use both cores, so
 * the client takes part of what the workers could use; the figure says how far a second worker helps here.
 */
export async function workersTable(o: HarnessOptions): Promise<string[]> {
  const title = '### `serve --workers 2` on TCP echo (1 KiB, 50 connections; servers and client share both cores)';
  const client = goBinary('client');
  const echo = goBinary('echo');
  if (client === null || echo === null) return [title, '', `Not measured: ${GO_MISSING}.`, ''];
  const both = '0,1';
  const peers: Peer[] = [
    { name: 'netecho, one process', command: netechoTcp(), cores: both },
    { name: 'netecho --workers 2', command: netechoTcp(['--workers', '2']), cores: both },
    { name: 'Go io.Copy, GOMAXPROCS=2', command: (port) => [echo, String(port)], env: { GOMAXPROCS: '2' }, cores: both },
  ];
  const samples = new Map<string, Sample[]>();
  await interleaved(o.rounds, [1024], peers, async (server, size) => drive(client, server, size, 50, o, both, '2'), (round, peer, size, s) => {
    samples.set(`${peer.name}|${size}`, [...(samples.get(`${peer.name}|${size}`) ?? []), s]);
    console.error(`round ${round} workers ${peer.name.padEnd(26)} ${s.rtps.toLocaleString('en-US').padStart(8)} rt/s  ${s.cpuPerRt.toFixed(1)} µs CPU/rt  ${s.cores.toFixed(2)} cores`);
  });
  const one = median((samples.get('netecho, one process|1024') ?? []).map((s) => s.rtps));
  const two = median((samples.get('netecho --workers 2|1024') ?? []).map((s) => s.rtps));
  return [
    ...render(
      title,
      'The client is a third process on the same two cores (nothing is pinned): the servers can never have both cores to themselves, ' +
        'so this shows whether a second worker adds throughput when the machine has one spare core at most, not how far workers scale. ' +
        'CPU is summed over the primary and its workers.\n',
      [1024],
      peers,
      samples,
      ['Go io.Copy, GOMAXPROCS=2'],
    ),
    `Two workers against one process: **${(two / one).toFixed(2)}×** the round trips per second.`,
    '',
  ];
}
