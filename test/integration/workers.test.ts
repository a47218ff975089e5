import assert from 'node:assert/strict';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { runCli, startCliServer, type RunningServer } from '../helpers/cli.js';
import { closed, connect, readBytes, readToEnd } from '../helpers/net.js';

interface LogLine {
  msg: string;
  pid?: number;
  worker?: number;
  replacing?: number;
  [key: string]: unknown;
}

function lines(s: RunningServer): LogLine[] {
  return s
    .stderr()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Pids of workers that said they listen (the primary logs each one). */
function listening(s: RunningServer): number[] {
  return lines(s)
    .filter((l) => /^worker \d+ listening/.test(l.msg))
    .map((l) => l.worker as number);
}

async function echoes(port: number, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = await connect(port);
      const r = readToEnd(c);
      c.end(`msg ${i}`);
      return (await r).toString();
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `msg ${i}`);

describe('serve --workers: supervision', () => {
  it('a worker killed with SIGKILL: the others keep serving, it is logged, counted and replaced', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--workers', '2', '--log-format', 'json']);
    try {
      const [victim, survivor] = listening(s) as [number, number];
      assert.equal(listening(s).length, 2);
      process.kill(victim, 'SIGKILL');
      await s.waitForStderr(new RegExp(`"msg":"worker ${victim} died \\(signal SIGKILL\\); replacing it in \\d+ ms"`));
      // While it is being replaced, every connection is served by the survivor.
      assert.deepEqual(await echoes(s.port, 20), expected(20));
      await s.waitForStderr(new RegExp(`listening, replacing worker ${victim}`));
      const replacement = lines(s).find((l) => l.replacing === victim)?.worker as number;
      assert.ok(alive(replacement) && alive(survivor));
      assert.deepEqual(await echoes(s.port, 20), expected(20));
      s.child.kill('SIGTERM');
      assert.equal((await s.exited).code, 0);
      const stop = lines(s).find((l) => l.msg === 'stopped' && 'workers.died' in l);
      assert.deepEqual([stop?.['workers.died'], stop?.['workers.replaced']], [1, 1]);
      const died = lines(s).find((l) => l.msg.startsWith(`worker ${victim} died`));
      assert.deepEqual([died?.signal, died?.code], ['SIGKILL', null]);
    } finally {
      await s.stop();
    }
  });

  it('workers that keep dying as they start: the primary gives up after 5 and exits 70', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--workers', '2', '--log-format', 'json']);
    try {
      const killed = new Set<number>();
      // Kill every worker that comes up, the first two included, until the primary stops replacing them.
      while (s.child.exitCode === null && killed.size < 10) {
        const fresh = listening(s).filter((p) => !killed.has(p));
        for (const pid of fresh) {
          killed.add(pid);
          process.kill(pid, 'SIGKILL');
        }
        if (fresh.length === 0) await Promise.race([once(s.child.stderr as NodeJS.ReadableStream, 'data'), s.exited]);
      }
      const { code } = await s.exited;
      assert.equal(code, 70);
      assert.match(s.stderr(), /5 workers died within 10 s of starting: giving up/);
      for (const pid of killed) assert.equal(alive(pid), false);
    } finally {
      await s.stop();
    }
  });

  it('the primary killed with SIGKILL: its worker drains, finishing the open connection, then exits', async () => {
    const s = await startCliServer(['tcp://127.0.0.1:0', '--workers', '2', '--log-format', 'json']);
    const workers = listening(s);
    try {
      const c = await connect(s.port);
      c.write('before ');
      assert.equal((await readBytes(c, 7)).toString(), 'before ');
      s.child.kill('SIGKILL');
      await s.exited;
      await s.waitForStderr(/"msg":"primary process gone: draining 1 connection\(s\)"/);
      // The connection goes on: the worker drains rather than dropping it.
      c.write('after');
      assert.equal((await readBytes(c, 5)).toString(), 'after');
      c.end();
      await closed(c);
      await s.waitForStderr(/"msg":"stopped".*"msg":"stopped"/s);
      for (const pid of workers) {
        const deadline = Date.now() + 5000;
        while (alive(pid) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        assert.equal(alive(pid), false, `worker ${pid} still running`);
      }
    } finally {
      for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await s.stop();
    }
  });
});

describe('serve --workers: bounds and start-up', () => {
  it('more than 4 per core is a usage error naming the flag', async () => {
    const r = await runCli(['serve', 'tcp://127.0.0.1:0', '--workers', '100000']);
    const max = availableParallelism() * 4;
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `netecho: invalid --workers: 100000 is more than ${max} (4 per core on this machine's ${availableParallelism()}); more workers than cores only add overhead\n`,
    );
  });

  it('SIGTERM while workers are starting stops everything: no worker outlives the primary', async () => {
    const max = availableParallelism() * 4;
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'serve', 'tcp://127.0.0.1:0', '--workers', String(max), '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const first = new Promise<void>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/worker \d+ listening/.test(stderr)) resolve();
      });
    });
    const exited = once(child, 'exit');
    await first;
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    const pids = [...stderr.matchAll(/"worker":(\d+),"msg":"worker \d+ listening/g)].map((m) => Number(m[1]));
    assert.ok(pids.length >= 1);
    for (const pid of pids) {
      const deadline = Date.now() + 5000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      assert.equal(alive(pid), false, `worker ${pid} outlived the primary`);
    }
  });
});
