/** The rooms on this instance and their members, under the limits: rooms in all, members per room, rooms per member. */
import type { Member } from './member.js';

export type JoinRefusal = 'max-rooms' | 'max-members-per-room' | 'max-rooms-per-connection';

export class Rooms {
  readonly #rooms = new Map<string, Set<Member>>();
  readonly #maxRooms: number;
  readonly #maxMembers: number;
  readonly #maxPerMember: number;

  constructor(limits: { maxRooms: number; maxMembersPerRoom: number; maxRoomsPerConnection: number }) {
    this.#maxRooms = limits.maxRooms;
    this.#maxMembers = limits.maxMembersPerRoom;
    this.#maxPerMember = limits.maxRoomsPerConnection;
  }

  /** Rooms with at least one member here. */
  get count(): number {
    return this.#rooms.size;
  }

  /** Memberships in all rooms. */
  get memberships(): number {
    let n = 0;
    for (const members of this.#rooms.values()) n += members.size;
    return n;
  }

  /** Add `member` to `room`; null when it is in, or the limit that refused it. */
  join(member: Member, room: string): JoinRefusal | null {
    if (member.rooms.has(room)) return null;
    if (member.rooms.size >= this.#maxPerMember) return 'max-rooms-per-connection';
    let members = this.#rooms.get(room);
    if (members === undefined) {
      if (this.#rooms.size >= this.#maxRooms) return 'max-rooms';
      members = new Set();
      this.#rooms.set(room, members);
    }
    if (members.size >= this.#maxMembers) return 'max-members-per-room';
    members.add(member);
    member.rooms.add(room);
    return null;
  }

  /** Take `member` out of `room`; true when that left the room empty (and gone). */
  leave(member: Member, room: string): boolean {
    const members = this.#rooms.get(room);
    member.rooms.delete(room);
    if (members === undefined || !members.delete(member)) return false;
    if (members.size > 0) return false;
    this.#rooms.delete(room);
    return true;
  }

  members(room: string): ReadonlySet<Member> | undefined {
    return this.#rooms.get(room);
  }

  names(room: string): string[] {
    return [...(this.#rooms.get(room) ?? [])].map((m) => m.name);
  }

  /** The busiest rooms: name and members, most first. */
  busiest(n: number): Array<{ room: string; members: number }> {
    return [...this.#rooms].map(([room, members]) => ({ room, members: members.size })).sort((a, b) => b.members - a.members).slice(0, n);
  }
}
