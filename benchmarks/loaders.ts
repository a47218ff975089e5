/**
 * Load generators over HTTP (part of npm run bench:transports): how many requests/s netecho bench, autocannon and
 * wrk drive from one core, and whether their counts agree with what the server saw, requests and 500s, in the
 * pipelined and fixed-rate modes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { BUILD, CLIENT_CORE, ROOT, goBinary, has, median, postScript, start, type HarnessOptions, type Running } from './harness.js';
import { cpuMicros } from './proc.js';

/**
 * Load generators over HTTP: requests/s that netecho bench, autocannon and wrk each drive from one core against the
 * same server (Go's net/http reflection on the other core), 50 keep-alive connections, interleaved rounds, with the
 * client's CPU, so a figure limited by the server shows as such.
 */
export async function loadGenerators(o: HarnessOptions): Promise<string[]> {
  const { rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP } = o;
  const title = '### Load generators over HTTP (requests/s driven from one core; Go net/http reflection on the other)';
  const go = goBinary('http_reflect');
  if (go === null || !has('wrk')) return [title, '', 'Not measured: needs go and wrk.', ''];
  const server = await start({ name: 'Go net/http', command: (port) => [go, String(port)], env: { GOMAXPROCS: '1' } });
  if (typeof server === 'string') return [title, '', `Not measured: ${server}`, ''];
  const url = `http://127.0.0.1:${server.port}/echo`;
  const autocannon = `${ROOT}node_modules/autocannon/autocannon.js`;
  const tools: Array<{ name: string; run: () => { rps: number; cpu: number; errors: number } }> = [
    {
      name: 'netecho bench',
      run: () => {
        const r = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, `${ROOT}bin/netecho.js`, 'bench', url, '-c', '50', '-s', '13', '-d', `${SECONDS}s`, '--warmup', `${WARMUP}s`, '--json'], { encoding: 'utf8' });
        const j = JSON.parse(r.stdout) as { roundTripsPerSec: number; clientCpuPercent: number; errors: { total: number } };
        return { rps: j.roundTripsPerSec, cpu: j.clientCpuPercent, errors: j.errors.total };
      },
    },
    {
      name: 'autocannon',
      run: () => {
        const r = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, autocannon, '-c', '50', '-d', String(SECONDS + WARMUP), '-m', 'POST', '-b', 'Hello, World!', '-j', url], { encoding: 'utf8' });
        const j = JSON.parse(r.stdout) as { requests: { average: number }; errors: number; non2xx: number };
        return { rps: Math.round(j.requests.average), cpu: NaN, errors: j.errors + j.non2xx };
      },
    },
    {
      name: 'wrk (C)',
      run: () => {
        const out = execFileSync('taskset', ['-c', CLIENT_CORE, 'wrk', '-t1', '-c50', `-d${SECONDS + WARMUP}s`, '-s', postScript(), url], { encoding: 'utf8' });
        return { rps: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)), cpu: NaN, errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) };
      },
    },
  ];
  const results = new Map<string, number[]>();
  const serverCpu = new Map<string, number[]>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const tool of tools) {
        const c0 = cpuMicros(server.pid);
        const t0 = Date.now();
        const r = tool.run();
        const serverShare = (cpuMicros(server.pid) - c0) / 1000 / (Date.now() - t0);
        results.set(tool.name, [...(results.get(tool.name) ?? []), r.rps]);
        serverCpu.set(tool.name, [...(serverCpu.get(tool.name) ?? []), serverShare]);
        console.error(`round ${round} loaders ${tool.name.padEnd(14)} ${r.rps.toLocaleString('en-US').padStart(8)} requests/s  server core ${(serverShare * 100).toFixed(0)}%${r.errors ? `  ERRORS ${r.errors}` : ''}`);
      }
    }
  } finally {
    await server.stop();
  }
  const rps = (name: string): number => median(results.get(name) ?? []);
  const lines = [title, '', '| load generator | requests/s | vs autocannon | vs wrk | server core busy |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const tool of tools) {
    lines.push(
      `| ${tool.name} | ${Math.round(rps(tool.name)).toLocaleString('en-US')} | ${(rps(tool.name) / rps('autocannon')).toFixed(2)}× | ${(rps(tool.name) / rps('wrk (C)')).toFixed(2)}× | ${Math.round(median(serverCpu.get(tool.name) ?? []) * 100)}% |`,
    );
  }
  lines.push('', 'A server core near 100% means the server, not the load generator, set the figure.', '');
  return lines;
}

interface Count {
  requests: number;
  errors: number;
}

/** What the counting server saw since its last reset: POSTs and the 500s it answered. */
async function serverCount(server: Running, reset: boolean): Promise<Count> {
  const res = await fetch(`http://127.0.0.1:${server.port}/${reset ? 'reset' : 'count'}`);
  const [requests, errors] = (await res.text()).split(' ').map(Number);
  return { requests: requests ?? 0, errors: errors ?? 0 };
}

/**
 * Does each load generator count what the server saw? Against a Go server that answers every 10th POST with a 500
 * (benchmarks/peers/http_count.go): pipelined (10 connections, 4 requests in flight each) and at a fixed rate
 * (2,000 requests/s over 10 connections), each tool's requests and non-2xx replies beside the server's own count.
 */
export async function agreement(o: HarnessOptions): Promise<string[]> {
  const title = '### Do the load generators count what the server saw? (every 10th request answered 500)';
  const go = goBinary('http_count');
  if (go === null) return [title, '', 'Not measured: go not installed (apt-get install golang-go).', ''];
  const server = await start({ name: 'Go counting server', command: (port) => [go, String(port), '10'], env: { GOMAXPROCS: '1' } });
  if (typeof server === 'string') return [title, '', `Not measured: ${server}`, ''];
  const url = `http://127.0.0.1:${server.port}/echo`;
  const seconds = String(o.seconds);
  const body = 'Hello, World!';
  mkdirSync(BUILD, { recursive: true });
  const pipelined = `${BUILD}pipeline4.lua`;
  writeFileSync(pipelined, `init = function(args)\n  local r = {}\n  for i = 1, 4 do r[i] = wrk.format("POST", nil, nil, "${body}") end\n  req = table.concat(r)\nend\nrequest = function() return req end\n`);
  const netecho = (mode: string[]): Count => {
    const r = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, `${ROOT}bin/netecho.js`, 'bench', url, '-c', '10', '-s', String(body.length), '-d', `${seconds}s`, '--warmup', '0s', ...mode, '--json'], { encoding: 'utf8' });
    const j = JSON.parse(r.stdout) as { roundTrips: number; errors: { httpStatus: number } };
    return { requests: j.roundTrips + j.errors.httpStatus, errors: j.errors.httpStatus };
  };
  const autocannon = (mode: string[]): Count => {
    const r = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, `${ROOT}node_modules/autocannon/autocannon.js`, '-c', '10', '-d', seconds, '-m', 'POST', '-b', body, ...mode, '-j', url], { encoding: 'utf8' });
    const j = JSON.parse(r.stdout) as { requests: { total: number }; non2xx: number };
    return { requests: j.requests.total, errors: j.non2xx };
  };
  const wrk = (): Count => {
    const out = execFileSync('taskset', ['-c', CLIENT_CORE, 'wrk', '-t1', '-c10', `-d${seconds}s`, '-s', pipelined, url], { encoding: 'utf8' });
    return { requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN), errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) };
  };
  const runs: Array<{ tool: string; mode: string; run: () => Count; expected?: number }> = [
    { tool: 'netecho bench', mode: '--pipeline 4', run: () => netecho(['--pipeline', '4']) },
    { tool: 'autocannon', mode: '-p 4', run: () => autocannon(['-p', '4']) },
    ...(has('wrk') ? [{ tool: 'wrk (C)', mode: 'pipelined by Lua, 4', run: wrk }] : []),
    { tool: 'netecho bench', mode: '--rate 2000', run: () => netecho(['--rate', '2000']), expected: 2000 * o.seconds },
    { tool: 'autocannon', mode: '-R 2000', run: () => autocannon(['-R', '2000']), expected: 2000 * o.seconds },
  ];
  const lines = [
    title,
    '',
    `Each tool alone against one Go server that counts the POSTs it answers (10 connections, ${seconds} s, no warm-up); "server" is the server's count over the same run.`,
    '',
    '| load generator | mode | requests counted | server saw | difference | 500s counted | server sent | difference |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const pct = (a: number, b: number): string => (b === 0 ? '–' : `${(((a - b) / b) * 100).toFixed(2)}%`);
  try {
    for (const r of runs) {
      await serverCount(server, true);
      const got = r.run();
      const saw = await serverCount(server, false);
      console.error(`agreement ${r.tool} ${r.mode}: counted ${got.requests} (${got.errors} 500s), server ${saw.requests} (${saw.errors} 500s)`);
      lines.push(
        `| ${r.tool} | ${r.mode}${r.expected !== undefined ? ` (${r.expected.toLocaleString('en-US')} due)` : ''} | ${got.requests.toLocaleString('en-US')} | ${saw.requests.toLocaleString('en-US')} | ${pct(got.requests, saw.requests)} | ` +
          `${got.errors.toLocaleString('en-US')} | ${saw.errors.toLocaleString('en-US')} | ${pct(got.errors, saw.errors)} |`,
      );
    }
  } finally {
    await server.stop();
  }
  lines.push('', 'A tool counts the replies that came back within its run; requests still in flight when it stops reach the server but not the tool.', '');
  return lines;
}
