import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { canIsolate, runCli, runCliIsolated } from '../helpers/cli.js';

// Names under .invalid never resolve (RFC 6761); the CLI runs with no network, so no DNS query leaves the machine.
const isolated = canIsolate() ? false : 'cannot make a network namespace here (unshare -n needs root)';

describe('a host that does not resolve: exit 68 on every client path', { skip: isolated }, () => {
  const cases: string[][] = [
    ['send', 'udp://nonexistent.invalid:1', 'hi'],
    ['send', 'udp://nonexistent.invalid:1', 'hi', '--count', '2', '--interval', '10ms'],
    ['send', 'tcp://nonexistent.invalid:1', 'hi'],
    ['send', 'tcp://nonexistent.invalid:1', 'hi', '--count', '2'],
    ['send', 'ws://nonexistent.invalid:1', 'hi'],
    ['bench', 'udp://nonexistent.invalid:1', '-d', '1s'],
    ['bench', 'tcp://nonexistent.invalid:1', '-d', '1s'],
    ['bench', 'ws://nonexistent.invalid:1', '-d', '1s'],
  ];
  for (const args of cases) {
    it(args.join(' '), async () => {
      const r = await runCliIsolated(args);
      const url = args[1] as string;
      assert.deepEqual([r.code, r.stderr, r.stdout], [68, `netecho: cannot resolve host of ${url}\n`, '']);
    });
  }

  it('get http://nonexistent.invalid/', async () => {
    const r = await runCliIsolated(['get', 'http://nonexistent.invalid:1/']);
    assert.deepEqual([r.code, r.stderr], [68, 'netecho: cannot resolve host of http://nonexistent.invalid:1/\n']);
  });
});

describe('ping over UDP with losses', () => {
  it('a server that never answers: 100% loss, exit 1, as for ping(8)', async () => {
    const silent = dgram.createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const port = silent.address().port;
      const r = await runCli(['send', `udp://127.0.0.1:${port}`, 'anyone', '--count', '2', '--interval', '10ms', '--timeout', '100ms', '--json']);
      const summary = JSON.parse(r.stdout) as { sent: number; received: number; lost: number; lossPercent: number; error: unknown };
      assert.deepEqual([r.code, summary.sent, summary.received, summary.lost, summary.lossPercent, summary.error], [1, 2, 0, 2, 100, null]);
    } finally {
      silent.close();
    }
  });
});
