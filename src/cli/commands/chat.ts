/**
 * `netecho chat URL`: at a terminal, typed lines go out as messages and incoming ones print above the prompt with
 * their sender (readline: history, Ctrl-C leaves cleanly); without a terminal, stdin lines in and message lines out,
 * for scripts (notices on stderr, or every event as JSON with --json).
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import { chat, type ChatEvent } from '../../client/chat.js';
import { ProtocolError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { addClientTlsOptions, clientTlsFlags, type ClientTlsFlags } from '../options.js';

interface ChatFlags extends ClientTlsFlags {
  name?: string;
  token?: string;
  timeout?: string;
  json?: boolean;
  stay?: boolean;
}

export function registerChat(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  const cmd = program
    .command('chat')
    .summary('chat in a relay room (or any WebSocket or line chat)')
    .description(
      'Join the chat at URL (ws://host:8765/ROOM, wss://, tcp://, tls://). At a terminal, type lines to send them; ' +
        'messages print above the prompt with their sender; Ctrl-C leaves. Without a terminal, each stdin line is ' +
        'sent and each message printed as "sender: text" on stdout (notices on stderr); the chat is left when stdin ' +
        'ends, unless --stay.',
    )
    .argument('<url>', 'the chat: ws, wss, tcp or tls://host:port[/room]')
    .option('-n, --name <name>', 'the name to go by (a token names you instead)')
    .option('--token <jwt>', 'a token for a relay that asks for one')
    .option('-t, --timeout <duration>', 'connect timeout (default 5s)')
    .option('--json', 'print every event (message, join, leave, gap, members, error) as one JSON line')
    .option('--stay', 'without a terminal: keep printing after stdin ends, until the chat closes or Ctrl-C');
  addClientTlsOptions(cmd).action((url: string, flags: ChatFlags) => setExit(runChat(url, flags, io)));
}

/** An event as a line of text: "alice: hi", "* bob joined lobby", "! rate limit...". */
export function eventLine(e: ChatEvent): { text: string; notice: boolean } {
  switch (e.type) {
    case 'message':
      return { text: e.from === null || e.from === undefined ? String(e.data ?? '') : `${e.from}: ${String(e.data ?? '')}`, notice: false };
    case 'join':
      return { text: `* ${String(e.from)} joined ${String(e.room)}`, notice: true };
    case 'leave':
      return { text: `* ${String(e.from)} left ${String(e.room)}`, notice: true };
    case 'gap':
      return { text: `* ${e.missed === null ? 'some' : String(e.missed)} message(s) in ${String(e.room)} missed (${String(e.reason ?? '')})`, notice: true };
    case 'members':
      return { text: `* in ${String(e.room)}: ${(e.members as string[] | undefined)?.join(', ') ?? ''}`, notice: true };
    case 'error':
      return { text: `! ${String(e.error)}`, notice: true };
    default:
      return { text: `* ${String(e.data ?? '')}`, notice: true };
  }
}

async function runChat(url: string, flags: ChatFlags, io: CliIo): Promise<number> {
  const abort = new AbortController();
  const session = await chat(url, { name: flags.name, token: flags.token, timeout: flags.timeout, tls: clientTlsFlags(flags), signal: abort.signal });
  const terminal = Boolean((io.stdin as NodeJS.ReadStream).isTTY && (io.stdout as NodeJS.WriteStream).isTTY);
  const closed = new Promise<{ code: number | null; reason: string }>((resolve) => session.once('close', resolve));
  let rl: readline.Interface | null = null;
  const print = (e: ChatEvent): void => {
    if (flags.json) return void io.stdout.write(`${JSON.stringify(e)}\n`);
    const { text, notice } = eventLine(e);
    if (rl !== null) {
      // Above the prompt, keeping what is being typed.
      io.stdout.write(`\r\x1b[K${text}\n`);
      rl.prompt(true);
    } else (notice ? io.stderr : io.stdout).write(`${text}\n`);
  };
  session.on('event', print);
  if (terminal) {
    rl = readline.createInterface({ input: io.stdin, output: io.stdout, prompt: '> ', historySize: 200 });
    rl.on('line', (line) => {
      if (line !== '') session.send(line);
      rl?.prompt();
    });
    rl.on('SIGINT', () => session.close()); // Ctrl-C leaves cleanly
    rl.on('close', () => session.close()); // and so does Ctrl-D
    rl.prompt();
  } else {
    const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
    lines.on('line', (line) => session.send(line));
    lines.on('close', () => {
      if (!flags.stay) session.close();
    });
    const onSignal = (): void => session.close();
    process.once('SIGINT', onSignal);
    void closed.then(() => process.removeListener('SIGINT', onSignal));
  }
  const end = await closed;
  rl?.close();
  if (terminal) io.stdout.write('\n');
  // A normal close (1000), going away (1001) or none given (1005), or a line connection ending: done.
  if (end.code === null || end.code === 1000 || end.code === 1001 || end.code === 1005) return EXIT.OK;
  throw new ProtocolError(`${session.url} closed the chat with ${end.code}${end.reason ? `: ${end.reason}` : ''}`);
}
