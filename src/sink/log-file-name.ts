import type { Rotation } from '../config.js';

/**
 * The log-file naming rule, in one place: the writer builds names with `logFileName`; retention,
 * the reader's discovery, `tail` and the demo recognise them with `parseLogFileName` /
 * `isLogFileName`.
 *
 *   daily   voicemode_events_YYYY-MM-DD.jsonl       the event's UTC date
 *   hourly  voicemode_events_YYYY-MM-DDTHH.jsonl    the event's UTC date and hour
 *   none    voicemode_events.jsonl
 *   other   voicemode_events_<[0-9A-Za-z:T-]+>.jsonl another writer's suffix: read, never written,
 *                                                   never touched by retention
 *
 * Each may be gzipped by retention (`.jsonl.gz`), which the reader reads transparently. Nothing
 * else is a log file: a folder's other files are never read, compressed or deleted.
 */
export type LogFileKind = Rotation | 'other';

export interface LogFileNameParts {
  kind: LogFileKind;
  /** `YYYY-MM-DD` for daily and hourly names. */
  date?: string;
  /** `HH` (UTC) for hourly names. */
  hour?: string;
  /** Compressed by retention (`.jsonl.gz`). */
  gz: boolean;
}

const PREFIX = 'voicemode_events';
const LOG_NAME = /^voicemode_events(?:_([0-9A-Za-z:T-]+))?\.jsonl(\.gz)?$/;
const DATED = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}))?$/;
const DATE_IN_NAME = /(\d{4}-\d{2}-\d{2}(?:T\d{2})?)/;

/** The file an event belongs to, by the event's UTC date (and hour for hourly rotation). */
export function logFileName(timestampUs: number, rotation: Rotation): string {
  if (rotation === 'none') return `${PREFIX}.jsonl`;
  const iso = new Date(Math.floor(timestampUs / 1000)).toISOString();
  return rotation === 'hourly' ? `${PREFIX}_${iso.slice(0, 10)}T${iso.slice(11, 13)}.jsonl` : `${PREFIX}_${iso.slice(0, 10)}.jsonl`;
}

/** What a file name says (kind, date, hour, gzip), or undefined when it is not a log file's name. */
export function parseLogFileName(name: string): LogFileNameParts | undefined {
  const m = LOG_NAME.exec(name);
  if (m === null) return undefined;
  const gz = m[2] !== undefined;
  const suffix = m[1];
  if (suffix === undefined) return { kind: 'none', gz };
  const d = DATED.exec(suffix);
  if (d === null) return { kind: 'other', gz };
  return d[2] === undefined ? { kind: 'daily', date: d[1]!, gz } : { kind: 'hourly', date: d[1]!, hour: d[2], gz };
}

/** A log file's name (ours or another writer's); `gz: false` leaves out compressed ones (for following a live file). */
export function isLogFileName(name: string, options: { gz?: boolean } = {}): boolean {
  const parts = parseLogFileName(name);
  return parts !== undefined && (options.gz !== false || !parts.gz);
}

/**
 * Sort key that puts files in date order: the first `YYYY-MM-DD[THH]` in the name (any file
 * named on a command line too), '' for undated names, which so come first.
 */
export function logFileSortKey(name: string): string {
  return DATE_IN_NAME.exec(name)?.[1] ?? '';
}
