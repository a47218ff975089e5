import assert from 'node:assert/strict';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, it } from 'node:test';
import { httpHighWaterMark, streamHighWaterMark } from '../../src/transports/listen.js';
import type { ListenerContext } from '../../src/transports/transport.js';

const withMaxQueued = (maxQueuedBytes: number): ListenerContext => ({ limits: { maxQueuedBytes } }) as unknown as ListenerContext;

describe('sockets high-water marks from --max-queued', () => {
  it('echo streams: 16 KiB, or maxQueued when lower', () => {
    assert.equal(streamHighWaterMark(withMaxQueued(1024 * 1024)), 16 * 1024);
    assert.equal(streamHighWaterMark(withMaxQueued(4096)), 4096);
  });

  it("HTTP: Node's own unless maxQueued is lower, on every Node (16 KiB on 20, 64 KiB from 22)", () => {
    const nodeDefault = getDefaultHighWaterMark(false);
    assert.equal(httpHighWaterMark(withMaxQueued(1024 * 1024)), undefined);
    assert.equal(httpHighWaterMark(withMaxQueued(nodeDefault)), undefined);
    assert.equal(httpHighWaterMark(withMaxQueued(nodeDefault - 1)), nodeDefault - 1);
    assert.equal(httpHighWaterMark(withMaxQueued(4096)), 4096);
  });
});
