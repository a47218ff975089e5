import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidArgumentError, bench, get, ping, send, sendStream, serve } from '../src/index.js';
import { closest } from '../src/option-shape.js';
import { flagFor } from '../src/cli/flags.js';
import { runCli } from './helpers/cli.js';

const URL_TCP = 'tcp://127.0.0.1:9';

/** Every library entry point, called with `options`. None of these calls gets as far as the network. */
const ENTRY_POINTS: Array<[string, (options: unknown) => Promise<unknown>]> = [
  ['serve', (o) => serve(o as never)],
  ['send', (o) => send(URL_TCP, 'x', o as never)],
  ['sendStream', (o) => sendStream(URL_TCP, new PassThrough(), new PassThrough(), o as never)],
  ['ping', (o) => ping(URL_TCP, o as never)],
  ['bench', (o) => bench(URL_TCP, o as never)],
  ['get', (o) => get('http://127.0.0.1:9/', o as never)],
];

describe('library options are checked up front', () => {
  it('a misspelt option is refused, naming it and the closest known name, at every entry point', async () => {
    const typos: Record<string, [string, string]> = {
      serve: ['maxConnectionz', 'maxConnections'],
      send: ['timout', 'timeout'],
      sendStream: ['verfy', 'verify'],
      ping: ['cuont', 'count'],
      bench: ['conections', 'connections'],
      get: ['maxRedirect', 'maxRedirects'],
    };
    for (const [name, call] of ENTRY_POINTS) {
      const [typo, meant] = typos[name] as [string, string];
      await assert.rejects(call({ [typo]: 5 }), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, name);
        assert.equal(err.code, 'ERR_NETECHO_INVALID_ARGUMENT');
        assert.equal(err.option, typo);
        assert.equal(err.message, `unknown ${name} option "${typo}" (did you mean "${meant}"?)`);
        return true;
      });
    }
  });

  it('a value of the wrong type is refused with the option named, not a TypeError', async () => {
    await assert.rejects(serve({ listen: 42 } as never), { code: 'ERR_NETECHO_INVALID_ARGUMENT', message: 'invalid listen: expected a string or an array of strings, not number' });
    await assert.rejects(serve({ listen: null } as never), { code: 'ERR_NETECHO_INVALID_ARGUMENT', message: 'invalid listen: expected a string or an array of strings, not null' });
    await assert.rejects(serve({ tls: { cert: 7 } } as never), (err: InvalidArgumentError) => err.option === 'tls.cert');
    await assert.rejects(serve({ http: { maxBodyy: 1 } } as never), { message: 'unknown serve option "http.maxBodyy" (did you mean "http.maxBody"?)' });
    await assert.rejects(serve('tcp://x' as never), { message: 'invalid serve options: expected an object' });
    await assert.rejects(send(URL_TCP, 'x', { timeout: {} } as never), { message: 'invalid timeout: expected a number of milliseconds or a string such as "30s", not object' });
    await assert.rejects(ping(URL_TCP, { onReply: 'yes' } as never), (err: InvalidArgumentError) => err.option === 'onReply');
    await assert.rejects(bench(URL_TCP, { stream: 'yes' } as never), { message: 'invalid stream: expected true or false, not string' });
    await assert.rejects(get('http://127.0.0.1:9/', { signal: {} } as never), (err: InvalidArgumentError) => err.option === 'signal');
  });

  it('a name far from every option gets the list instead of a guess', async () => {
    await assert.rejects(send(URL_TCP, 'x', { colour: 'red' } as never), { message: 'unknown send option "colour" (send takes timeout, verify, signal, retries, tls, websocket)' });
  });

  it('errors carry their options as data; the CLI says them with its flags', async () => {
    await assert.rejects(serve({ http: { headersTimeout: '40s' } }), (err: InvalidArgumentError) => {
      assert.deepEqual(err.options, ['http.headersTimeout', 'http.requestTimeout']);
      assert.equal(err.message, 'invalid http.headersTimeout: longer than http.requestTimeout');
      assert.equal(err.messageWith(flagFor), 'invalid --header-timeout: longer than --request-timeout');
      return true;
    });
    assert.deepEqual(['maxQueued', 'tls.clientCa', 'websocket.origins', 'connectRate', 'json'].map(flagFor), ['--max-queued', '--client-ca', '--origin', '--connect-rate', '--json-body']);
  });

  it('closest(): slips of a letter or two, and case, are caught; unrelated names are not', () => {
    assert.equal(closest('maxconnections', ['maxConnections', 'maxQueued']), 'maxConnections');
    assert.equal(closest('idletimeout', ['idleTimeout']), 'idleTimeout');
    assert.equal(closest('zzz', ['idleTimeout', 'describe']), null);
  });
});

describe('timeouts of 0', () => {
  const refused: Array<[string, string]> = [
    ['--header-timeout', 'the slow-header defence'],
    ['--request-timeout', 'the slow-request defence'],
    ['--tls-handshake-timeout', 'the bound on handshakes that never finish'],
  ];
  for (const [flag, defence] of refused) {
    it(`${flag} 0 is refused: it would switch off ${defence}`, async () => {
      const r = await runCli(['serve', 'http://127.0.0.1:0', flag, '0']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `netecho: invalid ${flag}: 0 would switch off ${defence} (give a duration above 0)\n`);
    });
  }

  it('--idle-timeout, --send-stall-timeout and --ws-heartbeat take 0 as "never"', async () => {
    const server = await serve({ listen: 'ws://127.0.0.1:0', idleTimeout: 0, sendStallTimeout: '0', websocket: { heartbeat: 0 } });
    assert.deepEqual([server.limits.idleTimeoutMs, server.limits.sendStallTimeoutMs], [0, 0]);
    await server.destroy();
  });
});
