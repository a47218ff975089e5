/**
 * Room names and nicknames. A room name comes from a URL path (percent-decoded) or a /join line; a nickname from a
 * token's `sub` or /nick. Neither may carry what would let one client confuse another: control characters,
 * whitespace in room names, or the characters the line protocol and URLs use as separators.
 */

/** Longest room name, in characters. */
export const MAX_ROOM_LENGTH = 64;
/** Longest nickname, in characters. */
export const MAX_NAME_LENGTH = 32;

const ROOM = /^[\p{L}\p{N}._~:@+-]+$/u;
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** null when `name` is a valid room name, else what is wrong with it. */
export function checkRoomName(name: string): string | null {
  const length = [...name].length;
  if (length === 0) return 'is empty';
  if (length > MAX_ROOM_LENGTH) return `is longer than ${MAX_ROOM_LENGTH} characters`;
  if (!ROOM.test(name)) return 'may hold letters, digits and . _ ~ : @ + - only';
  return null;
}

/** null when `name` is a valid nickname, else what is wrong with it. */
export function checkNickname(name: string): string | null {
  const length = [...name].length;
  if (length === 0) return 'is empty';
  if (length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (UNSAFE.test(name) || /\s/u.test(name)) return 'may not hold spaces or control characters';
  if (name.startsWith('/')) return 'may not start with /';
  return null;
}

/**
 * The room a WebSocket URL path names: "/lobby" or "/caf%C3%A9" (decoded), `fallback` for "/". Returns the
 * problem as a string when the path is not one valid room name.
 */
export function roomFromPath(path: string, fallback: string): { room: string } | { problem: string } {
  const raw = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (raw === '') return { room: fallback };
  let room: string;
  try {
    room = decodeURIComponent(raw);
  } catch {
    return { problem: `the room in the path "${path}" is not valid percent-encoding` };
  }
  if (room.includes('/')) return { problem: `the path "${path}" names more than one room (use /ROOM)` };
  const problem = checkRoomName(room);
  return problem === null ? { room } : { problem: `room "${room}" ${problem}` };
}
