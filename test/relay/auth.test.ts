import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { relay, type RelayServer } from '../../src/index.js';
import { until } from '../helpers/net.js';
import { LineClient, WsClient } from '../helpers/relay.js';

const SECRET = 'a test secret of more than 32 bytes!!';
const key = new TextEncoder().encode(SECRET);

async function token(claims: Record<string, unknown>, options: { expiresIn?: string; secret?: Uint8Array; sub?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(options.sub ?? 'alice').setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(options.secret ?? key);
}

describe('relay auth: HS256 JWT', () => {
  let r: RelayServer;
  let ws: string;
  let tcp: number;
  before(async () => {
    r = await relay({ listen: ['ws://127.0.0.1:0', 'tcp://127.0.0.1:0'], authSecret: SECRET });
    ws = r.addresses[0] ?? '';
    tcp = Number((r.addresses[1] ?? '').split(':').pop());
  });
  after(() => r.destroy());

  it('refused before the upgrade: no token 401, wrong secret 401, expired 401, a room it does not cover 403', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [`${ws}/team-a`, 401, /a token is required/],
      [`${ws}/team-a?token=${await token({}, { secret: new TextEncoder().encode('another secret of 32 bytes or more') })}`, 401, /not signed with this relay's secret/],
      [`${ws}/team-a?token=${await token({}, { expiresIn: '-1m' })}`, 401, /the token has expired/],
      [`${ws}/ops?token=${await token({ rooms: ['team-*'] })}`, 403, /does not let you into ops/],
      [`${ws}/team-a?token=not.a.jwt`, 401, /the token is not valid/],
    ];
    for (const [url, status, error] of cases) {
      const refusal = await WsClient.refusal(url);
      assert.equal(refusal.status, status, url);
      assert.match(refusal.body.error, error, url);
    }
    assert.equal(r.stats.denied.auth, 4);
    assert.equal(r.stats.denied['forbidden-room'], 1);
  });

  it('a valid token names the member (its sub, not ?name=); Authorization: Bearer works as ?token= does', async () => {
    const watcher = await WsClient.open(`${ws}/team-a?format=json`, { headers: { authorization: `Bearer ${await token({ rooms: 'team-*' }, { sub: 'watcher' })}` } });
    const alice = await WsClient.open(`${ws}/team-a?name=root&token=${await token({ rooms: ['team-*'] }, { expiresIn: '5m' })}`);
    await watcher.waitJson((m) => m.type === 'join' && m.from === 'alice');
    alice.ws.send('signed');
    const m = await watcher.waitJson((x) => x.type === 'message');
    assert.deepEqual([m.from, m.data], ['alice', 'signed']);
    watcher.close();
    alice.close();
  });

  it('a read-only token (publish: false) reads but cannot publish: dropped, counted, told', async () => {
    const reader = await WsClient.open(`${ws}/news?format=json&token=${await token({ publish: false }, { sub: 'reader' })}`);
    const writer = await WsClient.open(`${ws}/news?token=${await token({}, { sub: 'writer' })}`);
    await until(() => r.rooms.find((x) => x.room === 'news')?.members === 2);
    const before = r.stats.messages.dropped['read-only'];
    reader.ws.send('may I?');
    const error = await reader.waitJson((x) => x.type === 'error');
    assert.equal(error.error, 'your token lets you read news, not publish to it');
    assert.equal(r.stats.messages.dropped['read-only'], before + 1);
    assert.equal(writer.received.length, 0);
    writer.ws.send('headline');
    await reader.waitJson((x) => x.data === 'headline');
    reader.close();
    writer.close();
  });

  it('over TCP the first line is /auth TOKEN; anything else, or a bad token, gets one error line and the close', async () => {
    const good = await LineClient.open(tcp);
    good.send(`/auth ${await token({}, { sub: 'liner' })}`, '/who lobby');
    await good.waitLine(/^\* in lobby: liner$/);
    good.close();
    const none = await LineClient.open(tcp);
    none.send('hello?');
    await none.waitLine(/^! authentication required: send \/auth TOKEN as your first line$/);
    await none.ends();
    const expired = await LineClient.open(tcp);
    expired.send(`/auth ${await token({}, { expiresIn: '-1m' })}`);
    await expired.waitLine(/^! the token has expired$/);
    await expired.ends();
    await until(() => r.stats.closed['auth-failed'] >= 2);
  });

  it('over TCP, lines sent just before the FIN still count: /auth, a message and a last line without its newline', async () => {
    const peer = await WsClient.open(`${ws}/lobby?token=${await token({}, { sub: 'peer' })}`);
    const quick = await LineClient.open(tcp);
    quick.socket.end(`/auth ${await token({}, { sub: 'quick' })}\nfirst\nlast, no newline`);
    assert.deepEqual((await peer.count(2)).map((m) => m.data.toString()), ['first', 'last, no newline']);
    await quick.ends();
    peer.close();
  });
});
