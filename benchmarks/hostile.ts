/**
 * Hostile cases from docs/security.md, measured against `netecho serve` run as its own process.
 * Run: npm run build && node dist/benchmarks/hostile.js   (about a minute; loopback only; every loop bounded)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { send } from '../src/index.js';
import dgram from 'node:dgram';
import WebSocket from 'ws';
import { cpuMicros, fdCountOf, rssBytes, stopProcess } from './proc.js';

const BIN = fileURLToPath(new URL('../../bin/netecho.js', import.meta.url));
const MiB = 1024 * 1024;

async function startServer(args: string[], url = 'tcp://127.0.0.1:0'): Promise<{ pid: number; port: number; stop: () => Promise<void>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', url, '--log-format', 'json', '--log-level', process.env.HOSTILE_LOG ?? 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim().split(':').pop());
  return {
    pid: child.pid ?? 0,
    port,
    stderr: () => err,
    // SIGTERM first, so the log lines still in the server's buffers are written; SIGKILL if it has not exited in 3 s.
    stop: () => stopProcess(child, 3000),
  };
}

function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', ...(localAddress && { localAddress }) }, () => resolve(s));
    s.once('error', reject);
  });
}

const ms = (n: number): string => `${n.toFixed(2)} ms`;

async function rtt(port: number, n = 20): Promise<{ p50: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await send(`tcp://127.0.0.1:${port}`, randomBytes(64))).rttMs);
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n / 2)] ?? 0, max: times[n - 1] ?? 0 };
}

async function neverReading(clients: number): Promise<void> {
  const srv = await startServer(['--send-stall-timeout', '3s']);
  const base = rssBytes(srv.pid);
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(srv.port)));
  const chunk = Buffer.alloc(64 * 1024, 1);
  let peak = base;
  let written = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(srv.pid))), 50);
  const before = await rtt(srv.port);
  // Each client writes as fast as the server lets it, never reading, for at most 8 s.
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          const deadline = Date.now() + 8000;
          const limit = setTimeout(resolve, 9000);
          const done = (): void => {
            clearTimeout(limit);
            resolve();
          };
          const pump = (): void => {
            while (!s.destroyed && Date.now() < deadline) {
              written += chunk.length;
              if (!s.write(chunk)) return;
            }
            done();
          };
          s.pause();
          s.on('error', () => {});
          s.on('drain', pump);
          s.on('close', done);
          pump();
        }),
    ),
  );
  const during = await rtt(srv.port);
  clearInterval(sampler);
  const closedByStall = (srv.stderr().match(/"reason":"send-stall"/g) ?? []).length;
  console.log(`never-reading clients: ${clients}, default --max-queued 1MiB`);
  console.log(`  server RSS: before ${(base / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB (+${((peak - base) / MiB).toFixed(1)} MiB, ${((peak - base) / clients / 1024).toFixed(0)} KiB per client)`);
  console.log(`  clients wrote ${(written / MiB).toFixed(0)} MiB in total; ${closedByStall} closed with reason send-stall`);
  console.log(`  another client's round trip: before p50 ${ms(before.p50)}, during p50 ${ms(during.p50)} max ${ms(during.max)}`);
  for (const s of sockets) s.destroy();
  await srv.stop();
}

async function connectionCap(cap: number, extra: number): Promise<void> {
  const srv = await startServer(['--max-connections', String(cap), '--max-connections-per-ip', String(cap * 2)]);
  const held: net.Socket[] = [];
  for (let i = 0; i < cap - 1; i++) held.push(await connect(srv.port, `127.0.0.${2 + (i % 200)}`));
  const probe = await connect(srv.port); // the last place under the cap
  const probeRtt = async (): Promise<number> => {
    const p0 = performance.now();
    probe.write('x');
    await once(probe, 'data');
    return performance.now() - p0;
  };
  const before: number[] = [];
  for (let i = 0; i < 20; i++) before.push(await probeRtt());
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from(
      { length: extra },
      (_, i) =>
        new Promise<string>((resolve) => {
          const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: `127.0.1.${1 + (i % 200)}` });
          s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          s.on('close', () => resolve('closed'));
        }),
    ),
  );
  const refusalMs = performance.now() - t0;
  const after: number[] = [];
  for (let i = 0; i < 20; i++) after.push(await probeRtt());
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  const refused = outcomes.filter((o) => o === 'ECONNRESET').length;
  const logged = (srv.stderr().match(/"msg":"refused"/g) ?? []).length;
  console.log(`connection cap ${cap}: ${extra} more clients -> ${refused} reset (all ${extra} answered in ${ms(refusalMs)}), ${logged} refusal log lines`);
  console.log(`  server fds: ${fdCountOf(srv.pid)}; an established client's round trip p50: before ${ms(median(before))}, after the storm ${ms(median(after))}`);
  for (const s of held) s.destroy();
  probe.destroy();
  await srv.stop();
}

async function resets(clients: number): Promise<void> {
  const srv = await startServer(['--max-connections-per-ip', String(clients * 2)]);
  await rtt(srv.port, 5);
  const fdsBefore = fdCountOf(srv.pid);
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(srv.port)));
  for (const s of sockets) {
    s.on('error', () => {});
    s.write(randomBytes(100_000));
  }
  await Promise.all(sockets.map((s) => once(s, 'data')));
  for (const s of sockets) s.resetAndDestroy();
  let fdsAfter = fdCountOf(srv.pid);
  for (let i = 0; i < 100 && fdsAfter > fdsBefore; i++) {
    await new Promise((r) => setTimeout(r, 20));
    fdsAfter = fdCountOf(srv.pid);
  }
  const alive = (await send(`tcp://127.0.0.1:${srv.port}`, 'alive')).echo.toString() === 'alive';
  console.log(`resets mid-stream: ${clients} clients; server fds before ${fdsBefore}, after ${fdsAfter}; still echoing: ${alive}`);
  await srv.stop();
}

async function slowLoris(clients: number): Promise<void> {
  const srv = await startServer(['--max-connections-per-ip', String(clients * 2)]);
  const base = await rtt(srv.port);
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(srv.port)));
  for (const s of sockets) s.on('error', () => {});
  const trickle = setInterval(() => {
    for (const s of sockets) s.write('.');
  }, 2000);
  for (const s of sockets) s.write('.');
  const during = await rtt(srv.port, 50);
  clearInterval(trickle);
  console.log(`slow loris: ${clients} connections trickling 1 byte / 2 s; new client round trip p50 ${ms(during.p50)} max ${ms(during.max)} (alone: p50 ${ms(base.p50)})`);
  for (const s of sockets) s.destroy();
  await srv.stop();
}

async function manyClients(clients: number): Promise<void> {
  const srv = await startServer(['--max-connections-per-ip', String(clients)]);
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: clients }, async () => {
      const data = randomBytes(1024);
      const r = await send(`tcp://127.0.0.1:${srv.port}`, data, { timeout: '30s' });
      return r.echo.equals(data);
    }),
  );
  const bad = results.filter((ok) => !ok).length;
  console.log(`many clients: ${clients} concurrent, 1 KiB each: ${clients - bad} exact echoes, ${bad} wrong, in ${ms(performance.now() - t0)}`);
  await srv.stop();
}

/** One source floods a UDP listener: how much is answered, and the bytes out per byte in (amplification). */
async function udpFlood(datagrams: number, rate: number): Promise<void> {
  const srv = await startServer(['--udp-rate', String(rate)], 'udp://127.0.0.1:0');
  const client = dgram.createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await once(client, 'listening');
  let repliesIn = 0;
  let replyBytes = 0;
  client.on('message', (m: Buffer) => {
    repliesIn++;
    replyBytes += m.length;
  });
  const payload = randomBytes(512);
  const cpu0 = cpuMicros(srv.pid);
  const t0 = performance.now();
  for (let i = 0; i < datagrams; i++) {
    client.send(payload, srv.port, '127.0.0.1');
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  const sendMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500)); // let the last replies land (a bound, not a sync)
  const cpu = cpuMicros(srv.pid) - cpu0;
  client.close();
  await srv.stop();
  console.log(
    `UDP flood: ${datagrams} datagrams of 512 B from one source in ${ms(sendMs)} at --udp-rate ${rate}: ${repliesIn} answered ` +
      `(${((repliesIn / datagrams) * 100).toFixed(2)}%), bytes out / bytes in = ${(replyBytes / (datagrams * 512)).toFixed(4)}; server CPU ${(cpu / 1000).toFixed(0)} ms`,
  );
}

/** Many connections that never finish their headers; a normal request meanwhile. */
async function slowHeaders(clients: number): Promise<void> {
  const srv = await startServer(['--header-timeout', '2s', '--request-timeout', '4s', '--max-connections-per-ip', String(clients + 100)], 'http://127.0.0.1:0');
  const base = `http://127.0.0.1:${srv.port}`;
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(srv.port)));
  const answers: string[] = [];
  const t0 = performance.now();
  const closed = sockets.map(
    (sk) =>
      new Promise<number>((resolve) => {
        let first = '';
        sk.on('data', (c: Buffer) => (first ||= c.toString('latin1', 0, 12)));
        sk.on('error', () => {});
        sk.on('close', () => {
          answers.push(first);
          resolve(performance.now() - t0);
        });
        sk.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      }),
  );
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const a = performance.now();
    await (await fetch(base)).arrayBuffer();
    lat.push(performance.now() - a);
  }
  const closeTimes = await Promise.all(closed);
  lat.sort((a, b) => a - b);
  closeTimes.sort((a, b) => a - b);
  await srv.stop();
  const got408 = answers.filter((a) => a.startsWith('HTTP/1.1 408')).length;
  console.log(
    `slow headers: ${clients} connections never finishing their headers (--header-timeout 2s): ${got408} got 408, all closed between ` +
      `${ms(closeTimes[0] ?? 0)} and ${ms(closeTimes[closeTimes.length - 1] ?? 0)}; a normal request meanwhile p50 ${ms(lat[10] ?? 0)} max ${ms(lat[19] ?? 0)}`,
  );
}

/** Clients sending WebSocket messages over the limit: each closed with 1009; the server's memory. */
async function oversizedWs(clients: number): Promise<void> {
  const srv = await startServer(['--max-connections-per-ip', String(clients + 100)], 'ws://127.0.0.1:0');
  const base = rssBytes(srv.pid);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(srv.pid))), 20);
  const big = Buffer.alloc(4 * MiB);
  const codes = await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: false });
          ws.on('open', () => ws.send(big));
          ws.on('error', () => {});
          ws.on('close', (code: number) => resolve(code));
        }),
    ),
  );
  clearInterval(sampler);
  await srv.stop();
  const c1009 = codes.filter((c) => c === 1009).length;
  console.log(
    `oversized WebSocket messages: ${clients} clients each sending 4 MiB (limit 1 MiB): ${c1009} closed with 1009; ` +
      `server RSS before ${(base / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB`,
  );
}

/** HTTP clients that pipeline big POSTs and never read a reply: the server's memory, and what closes them. */
async function httpNeverReading(clients: number, bodyBytes: number): Promise<void> {
  const srv = await startServer(['--send-stall-timeout', '3s', '--max-connections-per-ip', String(clients + 100)], 'http://127.0.0.1:0');
  const base = rssBytes(srv.pid);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(srv.pid))), 50);
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(srv.port)));
  const request = Buffer.concat([
    Buffer.from(`POST /never-read HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyBytes}\r\n\r\n`),
    randomBytes(bodyBytes),
  ]);
  let sent = 0;
  const t0 = performance.now();
  const closedAt = await Promise.all(
    sockets.map(
      (s) =>
        new Promise<number>((resolve) => {
          const deadline = Date.now() + 10_000;
          const pump = (): void => {
            while (!s.destroyed && Date.now() < deadline) {
              sent++;
              if (!s.write(request)) return;
            }
          };
          s.pause();
          s.on('error', () => {});
          s.on('drain', pump);
          s.on('close', () => resolve(performance.now() - t0));
          setTimeout(() => s.destroy(), 15_000);
          pump();
        }),
    ),
  );
  clearInterval(sampler);
  await srv.stop(); // its last close lines may still be on their way when the last client sees its close
  const reasons = new Map<string, number>();
  for (const m of srv.stderr().matchAll(/"reason":"([a-z-]+)"/g)) reasons.set(m[1] ?? '', (reasons.get(m[1] ?? '') ?? 0) + 1);
  const stalls = reasons.get('send-stall') ?? 0;
  reasons.delete('send-stall');
  closedAt.sort((a, b) => a - b);
  console.log(
    `HTTP never-reading pipeliners: ${clients} clients each pipelining ${bodyBytes / 1024} KiB POSTs, never reading (--send-stall-timeout 3s): ` +
      `${sent} requests written in all; server RSS before ${(base / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB ` +
      `(+${((peak - base) / clients / 1024).toFixed(0)} KiB per client); ${stalls} closed with reason send-stall` +
      `${[...reasons].map(([r, n]) => `, ${n} ${r}`).join('')}; clients saw their close between ${ms(closedAt[0] ?? 0)} and ${ms(closedAt[closedAt.length - 1] ?? 0)}`,
  );
}

/** `serve --workers 2` under steady load; one worker killed with SIGKILL: what the clients see, and the replacement. */
async function workerKill(): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'serve', 'tcp://127.0.0.1:0', '--workers', '2', '--log-format', 'json', '--max-connections-per-ip', '10000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim().split(':').pop());
  const pids = [...err.matchAll(/"worker":(\d+),"msg":"worker \d+ listening"/g)].map((m) => Number(m[1]));
  // 20 clients, each a new connection per round trip, for 3 s; the kill comes after 1 s.
  let ok = 0;
  let failed = 0;
  const kinds = new Map<string, number>();
  const stopAt = Date.now() + 3000;
  const killer = setTimeout(() => process.kill(pids[0] ?? 0, 'SIGKILL'), 1000);
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (Date.now() < stopAt) {
        try {
          const r = await send(`tcp://127.0.0.1:${port}`, 'ping', { timeout: '2s' });
          if (r.echo.toString() === 'ping') ok++;
          else failed++;
        } catch (e) {
          failed++;
          const code = (e as { code?: string }).code ?? 'error';
          kinds.set(code, (kinds.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  clearTimeout(killer);
  const died = /"time":"([^"]+)"[^\n]*died \(signal SIGKILL\)/.exec(err);
  const replacedLine = err.split('\n').find((l) => l.includes('"replacing"'));
  const gapMs = died && replacedLine ? Date.parse((JSON.parse(replacedLine) as { time: string }).time) - Date.parse(died[1] ?? '') : NaN;
  child.kill('SIGTERM');
  await once(child, 'exit');
  console.log(
    `worker killed (SIGKILL, serve --workers 2, 20 clients making a new connection per round trip for 3 s): ${ok} round trips ok, ${failed} failed` +
      `${[...kinds].map(([k, n]) => ` (${n} ${k})`).join('')}; the replacement listened ${gapMs} ms after the death was logged`,
  );
}

/** Connect-and-close "health checks" against tls:// at a connection cap: slots freed, real clients still served. */
async function tlsConnectClose(attempts: number, cap: number): Promise<void> {
  const srv = await startServer(['--self-signed', '--max-connections', String(cap), '--log-level', 'warn'], 'tls://127.0.0.1:0');
  const t0 = performance.now();
  let done = 0;
  // `cap` at a time, each waiting for the server to close its side.
  await Promise.all(
    Array.from({ length: cap }, async () => {
      while (done < attempts) {
        done++;
        const s = await connect(srv.port);
        s.on('error', () => {});
        s.end();
        await once(s, 'close');
      }
    }),
  );
  const floodMs = performance.now() - t0;
  const handshakes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const a = performance.now();
    await send(`tls://127.0.0.1:${srv.port}`, 'x', { tls: { insecure: true } });
    handshakes.push(performance.now() - a);
  }
  handshakes.sort((a, b) => a - b);
  const warned = (srv.stderr().match(/handshake-timeout/g) ?? []).length;
  await srv.stop();
  console.log(
    `TLS connect-and-close: ${attempts} connections closed before any handshake, ${cap} at a time at --max-connections ${cap}: ` +
      `all done in ${ms(floodMs)} (each slot freed as its client closed); ${warned} handshake-timeout warnings; a real TLS client afterwards: p50 ${ms(handshakes[10] ?? 0)} max ${ms(handshakes[19] ?? 0)}`,
  );
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
// `--only NAME[,NAME]` runs some of the cases.
const only = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : null;
const cases: Array<[string, () => Promise<void>]> = [
  ['many', () => manyClients(5000)],
  ['never-reading', () => neverReading(100)],
  ['cap', () => connectionCap(1000, 500)],
  ['resets', () => resets(1000)],
  ['slow-loris', () => slowLoris(2000)],
  ['udp-flood', () => udpFlood(100_000, 1000)],
  ['slow-headers', () => slowHeaders(1000)],
  ['ws-oversized', () => oversizedWs(200)],
  ['http-never-reading', () => httpNeverReading(40, 512 * 1024)],
  ['worker-kill', () => workerKill()],
  ['tls-connect-close', () => tlsConnectClose(1000, 50)],
];
for (const [name, run] of cases) if (only === null || only.includes(name)) await run();
