import type { EventRecord } from 'voicemode-events';
import { parseTimestampUs } from 'voicemode-events/internal';

/**
 * One JSONL line to an event. An event read from a file also remembers where it came from
 * (for `--verbose`, anomalies and `query`, which prints the original text).
 *
 * What counts as malformed (skipped and counted in `skipped_lines`; blank lines are ignored
 * and not counted): a non-blank line that is not a complete JSON object (a torn last line
 * too), or whose `timestamp` is not a string in one of the accepted ISO 8601 forms, or whose
 * `event_type` is not a non-empty string, or whose `session_id` is present and neither a
 * string nor null, or whose `data` is present and neither an object nor null.
 * Everything else is kept: unknown event types, extra keys, `data` absent or null (read as
 * `{}`), a `turn` / `trace_id` / `span_id` of the wrong type (ignored, the line still counts).
 */
export interface FileEvent extends EventRecord {
  /** Index of the source file in the run's file list. */
  file: number;
  /** 1-based line number in that file. */
  line: number;
  /** The original line, only when the caller asked for it (query). */
  raw?: string | undefined;
  /** The line held NaN / Infinity / -Infinity (Python's json.dumps writes them): read as null. */
  nonFinite?: true | undefined;
  /**
   * The usage figures of a USAGE_TYPES event (worker-protocol.ts) as the compact reader hands
   * them over: beside `data` (which then holds only the labels), so that no data object is made
   * per event and none is kept while its session is buffered. Only the file-order consumer sees
   * it (the session sorter does not keep it). Absent: read `data`.
   */
  usage?: UsageFigures | undefined;
}

/** Every figure is a number: NaN where the line has none (the analysis reads NaN as absent). */
export interface UsageFigures {
  characters: number;
  audio_s: number;
  input_tokens: number;
  output_tokens: number;
}

/**
 * Python's `json.dumps` writes the bare tokens `NaN`, `Infinity` and `-Infinity`, which JSON
 * does not have. Returns the line with each such token outside strings replaced by `null`, or
 * undefined when there is none (then the line is simply malformed). Only called after
 * JSON.parse failed, so well-formed lines pay nothing.
 */
export function nonFiniteAsNull(text: string): string | undefined {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    let len = 0;
    if (c === 78 /* N */ && text.startsWith('NaN', i)) len = 3;
    else if (c === 73 /* I */ && text.startsWith('Infinity', i)) len = 8;
    else if (c === 45 /* - */ && text.startsWith('-Infinity', i)) len = 9;
    if (len === 0) continue;
    out += text.slice(from, i) + 'null';
    from = i + len;
    i += len - 1;
  }
  return from === 0 ? undefined : out + text.slice(from);
}

let cachedPrefix = '';
let cachedPrefixMs = 0;

/**
 * Fast path for the forms real logs use: `YYYY-MM-DDTHH:MM:SS` (the minute prefix is cached,
 * as consecutive lines share it), an optional `.fraction`, then `Z` or `±HH:MM`. Anything
 * else (and anything odd about these) goes to the general parser of time/format.ts.
 */
export function parseTimestampFast(text: string): number {
  const n = text.length;
  if (n < 20 || text.charCodeAt(10) !== 84 /* T */) return parseTimestampUs(text);
  // cache by the minute (`YYYY-MM-DDTHH:MM`); seconds are read as digits
  const prefix = text.slice(0, 16);
  if (prefix !== cachedPrefix) {
    const full = parseTimestampUs(prefix + ':00Z');
    if (Number.isNaN(full)) return parseTimestampUs(text);
    cachedPrefix = prefix;
    cachedPrefixMs = full / 1000;
  }
  const s1 = text.charCodeAt(17) - 48;
  const s2 = text.charCodeAt(18) - 48;
  if (text.charCodeAt(16) !== 58 || !(s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9)) return parseTimestampUs(text);
  const secMs = (s1 * 10 + s2) * 1000;
  let i = 19;
  let micros = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    let digits = 0;
    while (i < n) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (digits < 6) micros = micros * 10 + d;
      digits++;
      i++;
    }
    if (digits === 0) return parseTimestampUs(text);
    for (; digits < 6; digits++) micros *= 10;
  }
  const rest = n - i;
  let offsetMin = 0;
  if (rest === 1 && (text.charCodeAt(i) === 90 || text.charCodeAt(i) === 122) /* Z z */) {
    offsetMin = 0;
  } else if (rest === 6 && text.charCodeAt(i + 3) === 58 /* : */) {
    const sign = text.charCodeAt(i);
    const h = (text.charCodeAt(i + 1) - 48) * 10 + (text.charCodeAt(i + 2) - 48);
    const m = (text.charCodeAt(i + 4) - 48) * 10 + (text.charCodeAt(i + 5) - 48);
    if (!(h >= 0 && h <= 99 && m >= 0 && m <= 99) || (sign !== 43 && sign !== 45)) return parseTimestampUs(text);
    offsetMin = (sign === 45 ? -1 : 1) * (h * 60 + m);
  } else {
    return parseTimestampUs(text);
  }
  return (cachedPrefixMs + secMs - offsetMin * 60_000) * 1000 + micros;
}

/**
 * A line longer than NESTING_CHECK_FROM characters that nests deeper than MAX_NESTING is
 * malformed, checked before JSON.parse: a line of 40 MiB of `[` made JSON.parse build 40
 * million nested arrays (2.9 GB RSS) before failing. A shorter line cannot nest deep enough
 * to cost more than a few MB, and the scan costs about as much as JSON.parse, so short lines
 * (all real ones: our data is cut at 16 levels when logged) are not scanned.
 */
export const MAX_NESTING = 512;
export const NESTING_CHECK_FROM = 64 * 1024;

/** True when brackets (outside strings) nest deeper than `limit`. Linear; only run on lines long enough to nest that deep. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Parses one non-blank line. Returns undefined when the line is malformed (see above). */
export function parseLine(text: string, file: number, line: number, keepRaw = false): FileEvent | undefined {
  // A byte order mark (files saved by some editors and tools) is not part of the line.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length > NESTING_CHECK_FROM && nestsDeeperThan(text, MAX_NESTING)) return undefined;
  let obj: unknown;
  let nonFinite: true | undefined;
  try {
    obj = JSON.parse(text);
  } catch {
    const lenient = nonFiniteAsNull(text);
    if (lenient === undefined) return undefined;
    try {
      obj = JSON.parse(lenient);
      nonFinite = true;
    } catch {
      return undefined;
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const ts = o.timestamp;
  const type = o.event_type;
  if (typeof ts !== 'string' || typeof type !== 'string' || type === '') return undefined;
  const timestampUs = parseTimestampFast(ts);
  if (Number.isNaN(timestampUs)) return undefined;
  const sid = o.session_id;
  if (sid !== undefined && sid !== null && typeof sid !== 'string') return undefined;
  let data = o.data;
  if (data === undefined || data === null) data = {};
  else if (typeof data !== 'object' || Array.isArray(data)) return undefined;
  const ev: FileEvent = {
    timestampUs,
    eventType: type,
    sessionId: sid ?? null,
    data: data as Record<string, unknown>,
    traceId: typeof o.trace_id === 'string' && o.trace_id !== '' ? o.trace_id : undefined,
    spanId: typeof o.span_id === 'string' && o.span_id !== '' ? o.span_id : undefined,
    turn: typeof o.turn === 'number' && Number.isInteger(o.turn) && o.turn >= 0 ? o.turn : undefined,
    file,
    line,
    raw: keepRaw ? text : undefined,
  };
  if (nonFinite) ev.nonFinite = true;
  return ev;
}

/** True for a line of only whitespace (ignored, not counted). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10 && c !== 0xfeff) return false;
  }
  return true;
}
