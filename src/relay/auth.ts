/**
 * Who may join and publish: with an auth secret, every client shows an HS256 JWT (jose verifies it and its
 * expiry). Claims: `sub` (the name the client goes by), `rooms` (patterns such as "team-*"; absent: any room),
 * `publish` (false: it may only read). Without a secret the relay is open and names are chosen with /nick or
 * ?name=.
 */
import { checkNickname } from './names.js';

export interface Grants {
  /** The name the token gives (its `sub`), or null (the client picks one). */
  name: string | null;
  /** Room patterns allowed ("*" wildcards), or null for any room. */
  rooms: string[] | null;
  publish: boolean;
}

/** Everything allowed: a relay without an auth secret. */
export const OPEN: Grants = { name: null, rooms: null, publish: true };

/** A refusal, with the HTTP status to refuse the upgrade with (401: no valid token; 403: not for this room). */
export class AuthRefusal extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** The secret as jose wants it. */
export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Verify `token` (HS256, `exp` checked when present) and read its grants. @throws AuthRefusal (401) */
export async function verifyToken(key: Uint8Array, token: string | null): Promise<Grants> {
  if (token === null || token === '') throw new AuthRefusal(401, 'a token is required (Authorization: Bearer, ?token=, or /auth TOKEN)');
  let payload: Record<string, unknown>;
  // jose is loaded on first use: a process that never verifies a token does not carry it.
  const { errors: joseErrors, jwtVerify } = await import('jose');
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new AuthRefusal(401, 'the token has expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new AuthRefusal(401, 'the token is not signed with this relay\'s secret');
    throw new AuthRefusal(401, `the token is not valid: ${(err as Error).message}`);
  }
  const sub = payload.sub;
  if (typeof sub !== 'string' || checkNickname(sub) !== null) throw new AuthRefusal(401, 'the token has no usable sub (the name to go by)');
  const rooms = payload.rooms;
  const patterns = rooms === undefined ? null : typeof rooms === 'string' ? [rooms] : Array.isArray(rooms) && rooms.every((r) => typeof r === 'string') ? (rooms as string[]) : undefined;
  if (patterns === undefined) throw new AuthRefusal(401, 'the token\'s rooms claim is not a string or a list of them');
  return { name: sub, rooms: patterns, publish: payload.publish !== false };
}

/** Whether `grants` let their holder into `room`. */
export function roomAllowed(grants: Grants, room: string): boolean {
  if (grants.rooms === null) return true;
  return grants.rooms.some((p) => new RegExp(`^${p.split('*').map(escape).join('.*')}$`, 'u').test(room));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
