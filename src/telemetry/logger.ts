/**
 * The logger factory: pino everywhere, written as JSON lines (--log-format json) or as one readable line per
 * event (text, the default). Values are escaped in both: pino's JSON encoding, escapeForLog() for text.
 */
import { pino, type Logger } from 'pino';
import { escapeForLog } from './escape.js';

export type LogFormat = 'text' | 'json';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go: the CLI passes stderr. */
  destination: { write(line: string): unknown };
  /** Fields on every line (json) or in front of every line (text), e.g. { worker: 2 }. */
  base?: Record<string, string | number>;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function createLogger(options: LoggerOptions): Logger {
  if (options.format === 'json') {
    return pino(
      { level: options.level, base: { pid: process.pid, ...options.base }, timestamp: pino.stdTimeFunctions.isoTime },
      options.destination,
    );
  }
  return pino({ level: options.level, base: options.base ?? null, timestamp: false }, { write: (line: string) => options.destination.write(formatText(line)) });
}

/** One pino JSON line as "HH:MM:SS.mmm LEVEL message key=value ...". */
export function formatText(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { level, msg, ...fields } = record;
  const time = new Date().toISOString().slice(11, 23);
  const name = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  let line = `${time} ${name} ${escapeForLog(String(msg ?? ''))}`;
  for (const [key, value] of Object.entries(fields)) {
    const text = escapeForLog(typeof value === 'string' ? value : JSON.stringify(value));
    line += ` ${key}=${/[\s"=]/.test(text) || text === '' ? `"${text.replace(/"/g, '\\"')}"` : text}`;
  }
  return `${line}\n`;
}
