/**
 * `netecho report RESULT.json [MORE.json...]`: turn `netecho bench --json` results into one self-contained HTML
 * report (the curves of several runs side by side). `bench --report FILE` writes the same after a run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { renderReport } from '../../bench/report/html.js';
import type { BenchResult } from '../../bench/result.js';
import { InvalidArgumentError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { say, type CliIo } from '../io.js';
import { fileError } from '../options.js';

interface ReportFlags {
  output?: string;
  title?: string;
}

export function registerReport(program: Command, io: CliIo, setExit: (p: Promise<number>) => void): void {
  program
    .command('report')
    .summary('turn bench --json results into an HTML report with plots')
    .description(
      'Read one or more results of `netecho bench --json` and write one self-contained HTML file (no script, nothing ' +
        'fetched): settings and results side by side, the rate over time, and the latency percentile curves.',
    )
    .argument('<result...>', 'JSON files written by netecho bench --json')
    .option('-o, --output <file>', 'write the report to FILE (default: stdout)')
    .option('--title <text>', 'the report title (default "netecho bench")')
    .action((files: string[], flags: ReportFlags) => setExit(runReport(files, flags, io)));
}

async function runReport(files: string[], flags: ReportFlags, io: CliIo): Promise<number> {
  const results = readResults(files);
  const html = renderReport(results, { names: files.map((f) => basename(f)), ...(flags.title !== undefined && { title: flags.title }) });
  if (flags.output === undefined) io.stdout.write(html);
  else writeHtml(flags.output, html, '--output', io);
  return EXIT.OK;
}

/** Read `netecho bench --json` results. @throws InvalidArgumentError naming the file */
export function readResults(files: readonly string[], flag = 'result'): BenchResult[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`cannot read ${flag} "${file}": ${fileError(err)}`);
    }
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch {
      throw new InvalidArgumentError(`${flag} "${file}" is not JSON (give what netecho bench --json printed)`);
    }
    const ok = typeof r === 'object' && r !== null && typeof (r as BenchResult).url === 'string' && typeof (r as BenchResult).roundTrips === 'number' && typeof (r as BenchResult).errors === 'object';
    if (!ok) throw new InvalidArgumentError(`${flag} "${file}" is not a netecho bench --json result`);
    return r as BenchResult;
  });
}

/** Write a report, saying where on stderr. @throws InvalidArgumentError naming the flag */
export function writeHtml(path: string, html: string, flag: string, io: CliIo): void {
  try {
    writeFileSync(path, html);
  } catch (err) {
    throw new InvalidArgumentError(`cannot write ${flag} "${path}": ${fileError(err)}`);
  }
  say(io, `report written to ${path}`);
}
