/**
 * The relay's keys in Redis and the Lua scripts that change them atomically. A room's keys share a hash tag
 * ({room}) so that they live together.
 *
 *   netecho:{ROOM}:n     hash: epoch, seq (the room's numbering)
 *   netecho:{ROOM}:h     stream: the last N messages (entry id SEQ-1; fields h = header JSON, d = data)
 *   netecho:{ROOM}:who   sorted set: "NAME\nNODE/ID" per member on any instance, listed by name
 *   netecho:{ROOM}       the room's channel: "m" publications and "p" presence
 *   netecho:nodes        sorted set: instance id -> its last heartbeat (Redis time, ms)
 *   netecho:node:NODE    set: "ROOM\nNAME\nNODE/ID" per member of that instance, to clean up after it
 */
import type { Redis } from 'ioredis';

export const PREFIX = 'netecho:';
export const NODES_KEY = `${PREFIX}nodes`;

export const roomKeys = (room: string): { numbering: string; history: string; who: string; channel: string } => ({
  numbering: `${PREFIX}{${room}}:n`,
  history: `${PREFIX}{${room}}:h`,
  who: `${PREFIX}{${room}}:who`,
  channel: `${PREFIX}{${room}}`,
});

export const nodeKey = (node: string): string => `${PREFIX}node:${node}`;

/**
 * Number a publication, keep it (when there is history) and publish it, in one step: the order of the numbers is
 * the order on the channel. A room numbered afresh (its keys expired, or Redis restarted) gets a new epoch and an
 * empty history. KEYS: numbering, history. ARGV: epoch if new, history length, TTL ms, header, data, node, channel.
 * Returns { epoch, seq }.
 */
const PUBLISH = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
  redis.call('DEL', KEYS[2])
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-1', 'h', ARGV[4], 'd', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('PUBLISH', ARGV[7], 'm' .. ARGV[6] .. '\\n' .. epoch .. ':' .. seq .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[5])
return { epoch, seq }
`;

/**
 * What a client that last saw EPOCH:SEQ missed: the numbering now, and the entries after SEQ (all of them when the
 * epoch is another). KEYS: numbering, history. ARGV: epoch, seq. Returns { epoch|false, seq|false, entries }.
 */
const RECOVER = `
local n = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
local start = '-'
if n[1] and n[1] == ARGV[1] then start = '(' .. ARGV[2] .. '-1' end
return { n[1], n[2], redis.call('XRANGE', KEYS[2], start, '+') }
`;

/**
 * An instance's heartbeat: record it (Redis time, so the instances' clocks need not agree) and return the
 * instances not heard from within ARGV[2] ms. KEYS: nodes. ARGV: node, ttl ms.
 */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
`;

/**
 * Forget an instance: its members leave every room's list, and it leaves the instances. KEYS: node, nodes.
 * ARGV: node, key prefix. Returns how many memberships it had.
 */
const FORGET_NODE = `
local entries = redis.call('SMEMBERS', KEYS[1])
for _, e in ipairs(entries) do
  local nl = string.find(e, '\\n', 1, true)
  redis.call('ZREM', ARGV[2] .. '{' .. string.sub(e, 1, nl - 1) .. '}:who', string.sub(e, nl + 1))
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return #entries
`;

type Reply = Buffer | number | null | Reply[];

/** The scripts on a connection, typed. */
export interface RelayScripts {
  publish(keys: [string, string], args: [string, number, number, string, Buffer, string, string]): Promise<[Buffer, number]>;
  recover(keys: [string, string], args: [string, number]): Promise<[Buffer | null, Buffer | null, Array<[Buffer, Buffer[]]>]>;
  heartbeat(keys: [string], args: [string, number]): Promise<Buffer[]>;
  forgetNode(keys: [string, string], args: [string, string]): Promise<number>;
}

/** Define the scripts on `redis` (sent once, then run by their SHA). */
export function defineScripts(redis: Redis): RelayScripts {
  const define = (name: string, numberOfKeys: number, lua: string): ((...a: Array<string | number | Buffer>) => Promise<Reply>) => {
    redis.defineCommand(name, { numberOfKeys, lua });
    const run = (redis as unknown as Record<string, (...a: Array<string | number | Buffer>) => Promise<Reply>>)[`${name}Buffer`];
    if (run === undefined) throw new Error(`ioredis did not define ${name}`);
    return run.bind(redis);
  };
  const publish = define('netechoPublish', 2, PUBLISH);
  const recover = define('netechoRecover', 2, RECOVER);
  const heartbeat = define('netechoHeartbeat', 1, HEARTBEAT);
  const forgetNode = define('netechoForgetNode', 2, FORGET_NODE);
  return {
    publish: (keys, args) => publish(...keys, ...args) as Promise<[Buffer, number]>,
    recover: (keys, args) => recover(...keys, ...args) as Promise<[Buffer | null, Buffer | null, Array<[Buffer, Buffer[]]>]>,
    heartbeat: (keys, args) => heartbeat(...keys, ...args) as Promise<Buffer[]>,
    forgetNode: (keys, args) => forgetNode(...keys, ...args) as Promise<number>,
  };
}
