/** Real peers: the tutorial's Python programs and Debian tools. A missing tool skips its test with a message. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository's programs that behave as the tutorial's (test/peers/, next to this file's source). */
export const PEERS_DIR = fileURLToPath(new URL('../../../test/peers/', import.meta.url));

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Why a test must skip, or false when every tool is there. */
export function missing(...tools: string[]): string | false {
  const absent = tools.filter((t) => !have(t));
  return absent.length === 0 ? false : `not installed: ${absent.join(', ')} (.ci/run installs it)`;
}

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run a program to completion with `input` on stdin; killed after limitMs. */
export async function runTool(cmd: string, args: string[], input?: Buffer | string, limitMs = 20_000): Promise<Run> {
  const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin?.on('error', () => {});
  if (input !== undefined) child.stdin?.end(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(killer);
  return { code, stdout: Buffer.concat(out), stderr: err };
}

/** A port that was free a moment ago, for peers that cannot be told to use port 0. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Start a server program and resolve once its port accepts connections (polled, bounded). */
export async function startPeerServer(cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function stopPeer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/**
 * Run a program that does not exit on its own (openssl s_client keeps the connection after stdin ends): feed it
 * `input`, collect stdout until `enough(stdout)` holds, then stop it. Also resolves if it exits first.
 */
export async function runToolUntil(cmd: string, args: string[], input: Buffer | string, enough: (out: Buffer) => boolean, limitMs = 10_000): Promise<Run> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  let stopped = false;
  child.stdout.on('data', (c: Buffer) => {
    out.push(c);
    if (!stopped && enough(Buffer.concat(out))) {
      stopped = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.on('error', () => {});
  child.stdin.write(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(killer);
  return { code: stopped ? 0 : code, stdout: Buffer.concat(out), stderr: err };
}
