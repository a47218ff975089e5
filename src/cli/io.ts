/** The streams and environment a CLI run uses: passed in, so tests and embedders never touch globals. */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

/** A one-line message for humans on stderr. */
export function say(io: CliIo, message: string): void {
  io.stderr.write(`netecho: ${message}\n`);
}
