/** Run the built CLI as a user would: `node bin/netecho.js ...`. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/netecho.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Run to completion. `input` goes to stdin (then EOF); without it stdin is /dev/null. Killed after limitMs. */
export async function runCli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; limitMs?: number } = {}): Promise<CliResult> {
  return runCommand(process.execPath, [BIN, ...args], options, options.limitMs);
}

async function runCommand(cmd: string, args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv }, limitMs = 20_000): Promise<CliResult> {
  const child = spawn(cmd, args, {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  if (options.input !== undefined) child.stdin?.end(options.input);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(killer);
  const stdoutBytes = Buffer.concat(out);
  return { code, signal, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes };
}

/** Whether this machine lets tests make a network namespace (unshare -n: root, or unprivileged user namespaces). */
export function canIsolate(): boolean {
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Run the CLI in a network namespace of its own, with no network at all (not even loopback up): for names that
 * must fail to resolve without a DNS query leaving the machine.
 */
export function runCliIsolated(args: string[], limitMs = 20_000): Promise<CliResult> {
  return runCommand('unshare', ['-n', process.execPath, BIN, ...args], {}, limitMs);
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  port: number;
  /** All stderr so far. */
  stderr: () => string;
  /** Resolves when stderr matches. */
  waitForStderr: (pattern: RegExp, limitMs?: number) => Promise<void>;
  /** Resolves with the exit code once the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kill it if still running (for cleanup). */
  stop: () => Promise<void>;
}

/** Start `netecho serve` (port 0 by default) and resolve once it printed its first URL. */
export function startCliServer(args: string[] = ['tcp://127.0.0.1:0']): Promise<RunningServer> {
  return startCliService('serve', args);
}

/**
 * Start a long-running command (serve, relay) and resolve once its first stdout line (`url`) is out: a URL, or with
 * --json the document of its addresses (`addresses` has them either way).
 */
export async function startCliService(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer & { addresses: string[] }> {
  const child = spawn(process.execPath, [BIN, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  let stdout = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(line);
    });
    void exited.then(({ code }) => reject(new Error(`${command} exited with ${code} before listening: ${stderr}`)));
  });
  const addresses = first.startsWith('{') ? (JSON.parse(first) as { addresses: string[] }).addresses : [first];
  const url = first;
  const waitForStderr = (pattern: RegExp, limitMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pattern.test(stderr)) return resolve();
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in stderr: ${stderr}`)), limitMs);
      waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return {
    child,
    url,
    addresses,
    port: Number(addresses[0]?.slice(addresses[0].lastIndexOf(':') + 1)),
    stderr: () => stderr,
    waitForStderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
