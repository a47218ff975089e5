/** Helpers that turn flag strings into values, with messages that name the flag as the user typed it. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClientTlsOptions } from '../client/tls-options.js';
import { InvalidArgumentError } from '../errors.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../telemetry/logger.js';
import { parseCount } from '../units.js';

export function countFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  return value === undefined ? undefined : parseCount(value, flag, min);
}

export interface LogFlags {
  logLevel?: string;
  logFormat?: string;
  quiet?: boolean;
}

export function logSettings(flags: LogFlags): { level: LogLevel; format: LogFormat } {
  const format = flags.logFormat ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new InvalidArgumentError(`invalid --log-format: "${format}" (use text or json)`);
  }
  const level = flags.logLevel ?? (flags.quiet ? 'warn' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`invalid --log-level: "${level}" (use ${LOG_LEVELS.join(', ')})`);
  }
  return { level: level as LogLevel, format };
}

/** Why a file named by a flag could not be read or written, in words ("no such file or directory"). */
export function fileError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e.code ?? e.message;
  }
}

/** Read a PEM file named by a flag; the error names the flag and the path. */
export function fileFlag(path: string | undefined, flag: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${flag} "${path}": ${fileError(err)}`);
  }
}

/** `--data @file` reads a file; anything else is the text itself. */
export function dataFlag(value: string, flag: string): Buffer {
  if (!value.startsWith('@')) return Buffer.from(value);
  return fileFlag(value.slice(1), flag) as Buffer;
}

export interface ClientTlsFlags {
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  servername?: string;
  pin?: string;
}

/** --ca, --cert, --key, --insecure, --servername as ClientTlsOptions (files read here; the library checks the rest). */
export function clientTlsFlags(flags: ClientTlsFlags): ClientTlsOptions | undefined {
  const out: ClientTlsOptions = {
    ...(flags.ca !== undefined && { ca: fileFlag(flags.ca, '--ca') as Buffer }),
    ...(flags.cert !== undefined && { cert: fileFlag(flags.cert, '--cert') as Buffer }),
    ...(flags.key !== undefined && { key: fileFlag(flags.key, '--key') as Buffer }),
    ...(flags.insecure && { insecure: true }),
    ...(flags.servername !== undefined && { servername: flags.servername }),
    ...(flags.pin !== undefined && { pin: flags.pin }),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Add --ca, --cert, --key, --insecure and --servername to a command. */
export function addClientTlsOptions(cmd: Command): Command {
  return cmd
    .option('--ca <file>', 'tls/wss/https: trust the CA certificate(s) in this PEM file instead of the system store')
    .option('--cert <file>', 'tls/wss/https: client certificate (PEM) for mutual TLS, with --key')
    .option('--key <file>', 'tls/wss/https: private key (PEM) of --cert')
    .option('-k, --insecure', 'tls/wss/https: do not verify the server certificate (test servers only)')
    .option('--servername <name>', 'tls/wss/https: name to send (SNI) and to check the certificate against')
    .option('--pin <sha256:fingerprint>', "tls/wss/https: trust exactly the certificate with this SHA-256 fingerprint (as netecho serve logs it), self-signed or not");
}
