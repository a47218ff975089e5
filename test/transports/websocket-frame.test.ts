import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { frameWebSocketMessage } from '../../src/transports/websocket-frame.js';

// ws's own frame parser (a client's: unmasked frames from a server), not declared by @types/ws.
interface Receiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (options: object) => Receiver };

function parse(frame: Buffer): { data: Buffer; isBinary: boolean } {
  const r = new Receiver({ isServer: false, maxPayload: 0, allowSynchronousEvents: true });
  const got: Array<{ data: Buffer; isBinary: boolean }> = [];
  const errors: Error[] = [];
  r.on('message', (data, isBinary) => got.push({ data, isBinary }));
  r.on('error', (err) => errors.push(err));
  r.write(frame);
  if (errors[0] !== undefined) throw errors[0];
  assert.equal(got.length, 1, 'one message parsed');
  return got[0] as { data: Buffer; isBinary: boolean };
}

describe('frameWebSocketMessage', () => {
  it('uses the shortest length encoding at each boundary (125, 126, 65535, 65536)', () => {
    for (const [n, header] of [[0, 2], [125, 2], [126, 4], [65535, 4], [65536, 10]] as const) {
      const payload = Buffer.alloc(n, 'a');
      const frame = frameWebSocketMessage(payload, false);
      assert.equal(frame.length, header + n, `${n} bytes`);
      assert.equal(frame[0], 0x81);
      assert.deepEqual(parse(frame), { data: payload, isBinary: false });
    }
  });

  it('ws reads back exactly what was framed, text and binary, any size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000, size: 'max' }), fc.boolean(), (bytes, binary) => {
        const payload = binary ? Buffer.from(bytes) : Buffer.from(Buffer.from(bytes).toString('utf8'));
        const got = parse(frameWebSocketMessage(payload, binary));
        assert.equal(got.isBinary, binary);
        assert.ok(got.data.equals(payload));
      }),
      { numRuns: 200 },
    );
  });
});
