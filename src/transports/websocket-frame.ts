/**
 * One WebSocket message as a server sends it (RFC 6455 section 5.2: FIN, opcode, unmasked, the shortest length
 * encoding), framed once so the same bytes can go to many clients: a relay frames each message once, not once per
 * member. Only for connections without an extension (permessage-deflate frames differ per connection).
 */

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** The complete frame (header and payload in one buffer) for `payload` as a text or a binary message. */
export function frameWebSocketMessage(payload: Buffer, binary: boolean): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}
