import { Option, type Command } from 'commander';
import { compileFilter, parseTimeArg, type EventFilter } from './analysis/filter.js';
import { defaultInputs, discoverFiles, type SourceFile } from './reader/discover.js';
import { DataError, UsageError } from './reader/errors.js';
import type { FileEvent } from './reader/parse-line.js';
import type { ReadOptions, ReadStats } from './reader/read-events.js';
import { escapeControl } from './terminal-text.js';
import { processEnv } from 'voicemode-events/internal';
import { isCi } from './environment.js';

/** One warning line on stderr (paths and messages can hold anything: control characters escaped). */
export function warnLine(message: string): void {
  process.stderr.write(`voicemode-events: ${escapeControl(message)}\n`);
}

/** Options shared by the reading commands. */
export interface InputOptions {
  session?: string;
  since?: string;
  until?: string;
  verbose?: boolean;
  json?: boolean;
  strict?: boolean;
}

export function addTimeOptions(cmd: Command): Command {
  return cmd
    .option('--since <time>', 'only events at or after this time: ISO time, date, or a duration back from now (24h, 7d)')
    .option('--until <time>', 'only events at or before this time (same forms as --since)');
}

/** Options of every command that reads log files: --verbose, --strict. */
export function addVerboseOption(cmd: Command): Command {
  return cmd
    .addOption(new Option('-v, --verbose', 'report each skipped (malformed) line as file:line on stderr'))
    .addOption(new Option('--strict', 'exit 1 when a file cannot be read to its end (a truncated .gz); by default it is skipped with a warning'));
}

function timeArg(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const us = parseTimeArg(raw);
  if (Number.isNaN(us)) throw new UsageError(`${name} ${JSON.stringify(raw)} is not an ISO time, a date or a duration like 24h or 7d`);
  return us;
}

/** The common filter from the options (session, since, until). */
export function baseFilter(opts: InputOptions): EventFilter {
  const sinceUs = timeArg('--since', opts.since);
  const untilUs = timeArg('--until', opts.until);
  if (sinceUs !== undefined && untilUs !== undefined && untilUs < sinceUs) throw new UsageError('--until is earlier than --since');
  return { session: opts.session, sinceUs, untilUs };
}

/** A progress bar on stderr only for large inputs, when stderr is a terminal, and never with --json. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

async function progressBar(totalBytes: number, json: boolean): Promise<{ update(b: number): void; stop(): void } | undefined> {
  if (json || !process.stderr.isTTY || totalBytes < PROGRESS_MIN_BYTES || isCi()) return undefined;
  const { default: cliProgress } = await import('cli-progress'); // only a terminal reading a large input needs it
  const mb = (b: number): string => (b / 1048576).toFixed(0);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'reading |{bar}| {percentage}% {done}/{all} MB',
      hideCursor: true,
      clearOnComplete: true,
      barCompleteChar: '#',
      barIncompleteChar: '-',
      fps: 5,
    },
    cliProgress.Presets.legacy,
  );
  bar.start(totalBytes, 0, { done: '0', all: mb(totalBytes) });
  return {
    update: (b) => bar.update(Math.min(b, totalBytes), { done: mb(b) }),
    stop: () => bar.stop(),
  };
}

export interface RunInput {
  files: SourceFile[];
  stats: ReadStats;
}

/** The log files the paths name (the configured log folder when there are none); none is an error. */
export async function discoverInputs(paths: readonly string[]): Promise<SourceFile[]> {
  let inputs = paths;
  if (inputs.length === 0) {
    inputs = await defaultInputs();
    // stderr, so that --json output stays one object
    warnLine(`reading ${inputs.join(' and ')}`);
  }
  return discoverFiles(inputs, processEnv(), warnLine);
}

export interface ReadExtra {
  keepRaw?: boolean;
  compact?: boolean;
  afterChunk?: () => Promise<void> | void;
  /** Compact mode: parse workers per file, and a pool started before the read (ReadOptions). */
  parseWorkers?: number;
  pool?: ReadOptions['pool'];
}

/**
 * Discovers the files, reads them (merged by time), applies `filter` and hands each
 * matching event to `onEvent` (false stops). Skipped lines are reported with --verbose.
 */
export async function readInputs(
  paths: readonly string[],
  opts: InputOptions,
  filter: EventFilter,
  onEvent: (ev: FileEvent) => boolean | void,
  extra: ReadExtra = {},
): Promise<RunInput> {
  return readFiles(await discoverInputs(paths), opts, filter, onEvent, extra);
}

/** `readInputs` on files already discovered. The reader is loaded only now: nothing to read, nothing loaded. */
export async function readFiles(
  files: SourceFile[],
  opts: InputOptions,
  filter: EventFilter,
  onEvent: (ev: FileEvent) => boolean | void,
  extra: ReadExtra = {},
): Promise<RunInput> {
  const [{ readEvents }, { linePrefilter }] = await Promise.all([import('./reader/read-events.js'), import('./reader/line-prefilter.js')]);
  // lines that cannot match are not even looked at (not with --verbose: onSkip below)
  const prefilter = extra.compact ? undefined : linePrefilter(filter);
  const pred = compileFilter(filter);
  const total = files.reduce((s, f) => s + f.size, 0);
  const bar = await progressBar(total, opts.json === true);
  try {
    const stats = await readEvents(files, pred ? (ev) => (pred(ev) ? onEvent(ev) : undefined) : onEvent, {
      keepRaw: extra.keepRaw,
      compact: extra.compact,
      parseWorkers: extra.parseWorkers,
      pool: extra.pool,
      afterChunk: extra.afterChunk,
      onProgress: bar ? (b) => bar.update(b) : undefined,
      prefilter,
      onSkip: opts.verbose
        ? (file, line, long) => warnLine(`skipped ${long ? 'over-long (> 8 MiB)' : 'malformed'} line ${files[file]?.path}:${line}`)
        : undefined,
      // a truncated .gz must not cost the analysis of every other file: one warning each
      onFileError: (_file, message) => warnLine(`${message}; the rest of this file is skipped${opts.strict ? '' : ' (exit 1 with --strict)'}`),
    });
    if (opts.strict && stats.unreadableFiles > 0) throw new DataError(`${stats.unreadableFiles} file(s) could not be read to the end (--strict)`);
    return { files, stats };
  } finally {
    bar?.stop();
  }
}
