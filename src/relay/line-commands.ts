/** The line protocol's commands: /join, /leave, /nick, /who, /rooms, /format, /help, /quit (and /auth, first). */
import type { Grants } from './auth.js';
import { noticeLine } from './envelope.js';
import type { RelayHub } from './hub.js';
import type { Member, MemberFormat } from './member.js';
import { checkNickname, checkRoomName } from './names.js';

/** What a command needs of the line client it comes from. */
export interface CommandTarget extends Member {
  current: string | null;
  readonly grants: Grants;
  /** A reply line to this client. */
  say(line: string): void;
  quit(): void;
}

const HELP = [
  '* commands:',
  '*   /join ROOM      join ROOM (and send to it from now on)',
  '*   /leave [ROOM]   leave ROOM (default: the room you send to)',
  '*   /nick NAME      go by NAME (not with a token: it names you)',
  '*   /who [ROOM]     who is in ROOM',
  '*   /rooms          the rooms you are in',
  '*   /format F       raw (messages as sent), chat ([room] name: text, and who comes and goes) or json',
  '*   /auth TOKEN     your token, first, when the relay asks for one',
  '*   /quit           leave',
  '*   //text          send "/text"',
].join('\n');

/** Run one command line; `inOrder` holds the client's next lines until the work it is given is done. */
export function command(hub: RelayHub, member: CommandTarget, text: string, inOrder: (work: Promise<void>) => void): void {
  const conn = member;
  const [verb = '', ...args] = text.trim().split(/\s+/);
  const arg = args[0];
  switch (verb.toLowerCase()) {
    case '/join': {
      const problem = arg === undefined ? 'needs a room: /join ROOM' : checkRoomName(arg);
      if (problem !== null || arg === undefined) return conn.say(`! /join: ${arg === undefined ? problem : `room "${arg}" ${problem}`}`);
      return inOrder(
        hub.join(member, arg, null).then((refusal) => {
          if (refusal !== null) return conn.say(`! ${refusal}`);
          member.current = arg;
          conn.say(`* joined ${arg}`);
        }),
      );
    }
    case '/leave': {
      const room = arg ?? member.current;
      if (room === null || !member.rooms.has(room)) return conn.say(`! you are not in ${room ?? 'a room'}`);
      hub.leave(member, room);
      if (member.current === room) member.current = [...member.rooms].pop() ?? null;
      return conn.say(`* left ${room}${member.current === null ? '' : `; sending to ${member.current}`}`);
    }
    case '/nick': {
      if (member.grants.name !== null) return conn.say('! your name comes from your token');
      const problem = arg === undefined ? 'needs a name: /nick NAME' : checkNickname(arg);
      if (problem !== null || arg === undefined) return conn.say(`! /nick: ${problem}`);
      hub.rename(member, arg);
      return conn.say(`* you are ${arg}`);
    }
    case '/who': {
      const room = arg ?? member.current;
      if (room === null) return conn.say('! /who ROOM');
      return inOrder(
        hub.who(room).then((who) => conn.say(noticeLine({ type: 'members', room, members: who.names, count: who.count, ts: 0 }))),
      );
    }
    case '/rooms':
      return conn.say(`* your rooms: ${[...member.rooms].join(', ') || 'none'}${member.current === null ? '' : `; sending to ${member.current}`}`);
    case '/format': {
      if (arg !== 'raw' && arg !== 'chat' && arg !== 'json') return conn.say('! /format raw, chat or json');
      member.format = arg as MemberFormat;
      return conn.say(`* format ${arg}`);
    }
    case '/auth':
      return conn.say('! already authenticated');
    case '/help':
      return conn.say(HELP);
    case '/quit':
      member.quit();
      return;
    default:
      return conn.say(`! unknown command ${verb} (try /help)`);
  }
}
