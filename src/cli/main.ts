/**
 * The CLI entry: parses argv, dispatches to a command, and turns every outcome into an exit code.
 * run() never exits; runMain() is the one place in netecho that calls process.exit.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { NetechoError } from '../errors.js';
import { registerBench } from './commands/bench.js';
import { registerGet } from './commands/get.js';
import { registerSend } from './commands/send.js';
import { registerChat } from './commands/chat.js';
import { registerRelay } from './commands/relay.js';
import { registerServe } from './commands/serve.js';
import { registerReport } from './commands/report.js';
import { EXIT, EXIT_FOR_CODE } from './exit-codes.js';
import { messageInFlags } from './flags.js';
import { say, type CliIo } from './io.js';

/** Commander puts its suggestion on a second line; a usage error is one line: "... (did you mean --pin?)". */
function oneLine(message: string): string {
  return message.replace(/\n\(Did you mean (.+)\?\)/, ' (did you mean $1?)');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Run the CLI with `argv` (without node and the script). Resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let pending: Promise<number> | null = null;
  const setExit = (p: Promise<number>): void => {
    pending = p;
  };
  const program = new Command('netecho')
    .description('A network echo toolkit: echo server, client, load generator and real-time relay over TCP, TLS, UDP, WebSocket and HTTP.')
    .version(version(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`netecho: ${oneLine(s.replace(/^error: /, ''))}`),
    })
    .addHelpText(
      'after',
      '\nExamples:\n  netecho serve                                  # tcp://127.0.0.1:65432\n' +
        '  netecho serve tcp://0.0.0.0:7 tcp://[::1]:7000\n' +
        '  netecho serve tcp://127.0.0.1:65432 tls://127.0.0.1:65433 udp://127.0.0.1:65432 http://127.0.0.1:8080 --self-signed\n' +
        '  netecho send                                   # Send: Hello, World!\n' +
        '  netecho send ws://127.0.0.1:8080 hello\n  netecho send http://127.0.0.1:8080/path hello    # prints the JSON reflection\n' +
        '  netecho send tcp://127.0.0.1:65432 hi --count 5 --interval 200ms\n  cat file | netecho send tcp://127.0.0.1:65432 > copy\n' +
        '  netecho get https://api.github.com/events --timing\n' +
        '  netecho bench tcp://127.0.0.1:65432 -c 50 --size 1KiB --duration 10s\n' +
        '  netecho relay ws://127.0.0.1:8765 tcp://127.0.0.1:6667          # rooms: ws://127.0.0.1:8765/lobby\n' +
        '  netecho chat ws://127.0.0.1:8765/lobby --name alice\n',
    );
  registerServe(program, io, setExit);
  registerSend(program, io, setExit);
  registerGet(program, io, setExit);
  registerBench(program, io, setExit);
  registerRelay(program, io, setExit);
  registerChat(program, io, setExit);
  registerReport(program, io, setExit);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
  }

  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return pending === null ? EXIT.OK : await pending;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Help and version are successes; everything else commander reports (and has printed) is a usage error.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
    return EXIT.USAGE;
  }
  if (err instanceof NetechoError) {
    say(io, messageInFlags(err));
    return EXIT_FOR_CODE[err.code];
  }
  const message = err instanceof Error ? err.message : String(err);
  say(io, `internal error: ${message}${io.env.NETECHO_DEBUG ? '' : ' (set NETECHO_DEBUG=1 for details)'}`);
  if (io.env.NETECHO_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT.SOFTWARE;
}

/** Run with the process's streams and exit with the result, after stdout has been flushed. */
export function runMain(argv: readonly string[]): void {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  // A closed stdout (netecho ... | head) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  void run(argv, io).then((code) => {
    process.stdout.write('', () => process.exit(code));
  });
}
