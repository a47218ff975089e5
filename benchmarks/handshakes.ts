/**
 * TLS handshakes per second, session resumption off and on, ECDSA P-256 and RSA 2048 certificates: netecho's
 * tls:// against Go's crypto/tls, loaded by a Go client (benchmarks/peers/handshakes.go) that connects, completes
 * the handshake, echoes one byte and closes. And which cipher suite each TLS server settles on with netecho bench's
 * client, since that, not the certificate, sets the cost of every byte after the handshake. Part of
 * npm run bench:transports.
 */
import { spawnSync } from 'node:child_process';
import tls from 'node:tls';
import { BIN_FLAGS, CLIENT_CORE, PEERS, ROOT, certificate, goBinary, interleaved, median, start, type HarnessOptions, type Peer, type Running } from './harness.js';
import { cpuMicros } from './proc.js';

/** The TLS peers of the echo and handshake tables, for a certificate. */
export function tlsPeers(pem: { cert: string; key: string }): Peer[] {
  const go = goBinary('tls_echo');
  return [
    {
      name: 'netecho',
      command: (port) => [process.execPath, ...BIN_FLAGS, `${ROOT}bin/netecho.js`, 'serve', `tls://127.0.0.1:${port}`, '--log-level', 'warn', '--cert', pem.cert, '--key', pem.key],
    },
    {
      name: 'Go crypto/tls (goroutine per conn, io.Copy)',
      command: (port) => (go === null ? 'go not installed (apt-get install golang-go)' : [go, String(port), pem.cert, pem.key]),
      env: { GOMAXPROCS: '1' },
    },
    { name: 'minimal Node tls server (data → write)', command: (port) => [process.execPath, `${PEERS}tls_node.mjs`, String(port), pem.cert, pem.key] },
  ];
}

/** "TLSv1.3 TLS_AES_128_GCM_SHA256" for each peer, as a Node client with default options (netecho bench's) gets. */
export async function negotiated(peers: Peer[]): Promise<string> {
  const parts: string[] = [];
  for (const peer of peers) {
    const server = await start(peer);
    if (typeof server === 'string') continue;
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
          resolve(`${s.getProtocol() ?? '?'} ${s.getCipher().standardName}`);
          s.end();
        });
        s.on('error', reject);
      });
      parts.push(`${peer.name.split(' (')[0] ?? peer.name}: ${got}`);
    } finally {
      await server.stop();
    }
  }
  return parts.join('; ');
}

interface Sample {
  perSec: number;
  cpuPer: number;
  resumed: number;
  errors: number;
}

function drive(client: string, server: Running, resume: boolean, o: HarnessOptions): Sample {
  const run = (seconds: number): { done: number; resumed: number; failed: number } => {
    const r = spawnSync('taskset', ['-c', CLIENT_CORE, client, `127.0.0.1:${server.port}`, '8', String(seconds), resume ? '1' : '0'], {
      env: { ...process.env, GOMAXPROCS: '1' },
      encoding: 'utf8',
      timeout: (seconds + 30) * 1000,
    });
    const [done, resumed, failed] = r.stdout.trim().split(' ').map(Number);
    return { done: done ?? NaN, resumed: resumed ?? NaN, failed: failed ?? NaN };
  };
  if (o.warmup > 0) run(o.warmup);
  const c0 = cpuMicros(server.pid);
  const r = run(o.seconds);
  const cpu = cpuMicros(server.pid) - c0;
  return { perSec: Math.round(r.done / o.seconds), cpuPer: r.done > 0 ? cpu / r.done : NaN, resumed: r.done > 0 ? r.resumed / r.done : 0, errors: r.failed };
}

export async function handshakeTable(o: HarnessOptions): Promise<string[]> {
  const title = '### TLS handshakes (new connections: handshake, one byte echoed, close; 8 at a time from a Go client on core 1)';
  const client = goBinary('handshakes');
  if (client === null) return [title, '', 'Not measured: go not installed (apt-get install golang-go).', ''];
  const lines = [
    title,
    '',
    'Each connection is a full handshake, or with resumption on a TLS 1.3 PSK resumption from the session ticket of an earlier connection ' +
      '(the client keeps a session cache; "resumed" is the share of connections the server resumed). Server CPU per handshake is the figure to compare.',
    '',
    '| certificate | resumption | server | handshakes/s | resumed | server CPU µs per handshake | vs Go |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const type of ['ec', 'rsa'] as const) {
    const pem = certificate(type);
    if (typeof pem === 'string') return [title, '', `Not measured: ${pem}.`, ''];
    const peers = tlsPeers(pem);
    const samples = new Map<string, Sample[]>();
    await interleaved(o.rounds, [false, true], peers, async (server, resume) => drive(client, server, resume, o), (round, peer, resume, s) => {
      samples.set(`${peer.name}|${resume}`, [...(samples.get(`${peer.name}|${resume}`) ?? []), s]);
      console.error(`round ${round} handshakes ${type} resume=${resume} ${peer.name.padEnd(44)} ${s.perSec.toLocaleString('en-US').padStart(6)}/s  ${s.cpuPer.toFixed(0)} µs CPU each${s.errors ? `  ERRORS ${s.errors}` : ''}`);
    });
    for (const resume of [false, true]) {
      const of = (name: string): Sample[] => samples.get(`${name}|${resume}`) ?? [];
      const goCpu = median(of(peers[1]?.name ?? '').map((s) => s.cpuPer));
      for (const peer of peers) {
        const ss = of(peer.name);
        if (ss.length === 0) continue;
        const cpu = median(ss.map((s) => s.cpuPer));
        const errors = ss.reduce((n, s) => n + s.errors, 0);
        lines.push(
          `| ${type === 'ec' ? 'ECDSA P-256' : 'RSA 2048'} | ${resume ? 'on' : 'off'} | ${peer.name}${errors ? ` (${errors} errors)` : ''} | ${Math.round(median(ss.map((s) => s.perSec))).toLocaleString('en-US')} | ` +
            `${Math.round(median(ss.map((s) => s.resumed)) * 100)}% | ${cpu.toFixed(0)} | ${Number.isNaN(goCpu) ? '–' : `${(cpu / goCpu).toFixed(2)}×`} |`,
        );
      }
    }
  }
  lines.push('');
  return lines;
}
