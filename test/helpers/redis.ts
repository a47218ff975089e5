/**
 * A real redis-server for a test: its own, on a free port, in a temp dir, without persistence; killed and started
 * again on the same port to show what a relay does when Redis goes away and comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './peers.js';

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | null = null;
  #log = '';

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start one (a few tries: the free port can be taken between finding and binding it). */
  static async start(): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'netecho-redis-'));
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(await freePort(), dir);
      try {
        await server.#run();
        return server;
      } catch (err) {
        if (attempt >= 4) {
          rmSync(dir, { recursive: true, force: true });
          throw err;
        }
      }
    }
  }

  /** Start one on `port` (a port a test found free, to start Redis after something was told to use it). */
  static async startOn(port: number): Promise<RedisServer> {
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'netecho-redis-')));
    try {
      await server.#run();
    } catch (err) {
      rmSync(server.dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  /** Kill it (SIGKILL: no goodbye to its clients) and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || child.exitCode !== null) return;
    const gone = once(child, 'exit');
    child.kill('SIGKILL');
    await gone;
    this.#child = null;
  }

  /** Start it again on the same port, empty. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#run();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #run(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#log = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer): void => {
        this.#log += c.toString();
        if (this.#log.includes('Ready to accept connections')) {
          child.stdout.removeListener('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${this.#log.slice(-400)}`)));
      setTimeout(() => reject(new Error(`redis-server did not start in 10 s: ${this.#log.slice(-400)}`)), 10_000).unref();
    });
    this.#child = child;
    try {
      await ready;
    } catch (err) {
      child.kill('SIGKILL');
      this.#child = null;
      throw err;
    }
    child.stdout.resume();
    child.stderr.resume();
  }
}
