/**
 * Messages between the compact reader (read-events.ts) and its workers (parse-worker.ts).
 * A worker lives for the whole read (parse-worker-pool.ts) and reads one file at a time: a
 * `WorkerJob` starts a file; every message about it carries the job's number.
 */
export interface WorkerInput {
  /** The job's number, unique in the pool: messages of an earlier job are told apart. */
  job: number;
  path: string;
  gz: boolean;
  file: number;
  chunkBytes: number;
  maxInFlight: number;
  /**
   * Plain files are cut into chunks of `chunkBytes`; worker `index` of `workers` reads chunks
   * index, index + workers, ... and posts one batch per chunk, in order. A chunk holds the lines
   * that *start* in its byte range (the last one is read to its end). A gzip file is read by
   * one worker (workers = 1), as a stream.
   */
  index: number;
  workers: number;
  /** File size at the start of the run: lines appended later are not read. */
  size: number;
  /** Strings the worker's table holds before it starts afresh (default 8192; tests use less). */
  tableReset?: number | undefined;
  /** Lines longer than this are skipped without being held (ReadOptions.maxLineBytes). */
  maxLineBytes: number;
}

/**
 * Ints per event: type, session (-1 null), turn (-1 none, TURN_ASIDE: see `turns`), span (-1
 * none), labels (-1 none), line. Type, session and labels index the worker's string table (grown
 * by the `fresh` strings of each batch; emptied first when the batch has `reset`); span indexes
 * the batch's own `spans`. Lines are 1-based inside the batch (a batch is one chunk of at most a
 * few MiB: far from 2^31 lines); the reader adds the lines of the batches before it.
 *
 * What crosses is what the analysis (summary, anomalies, report) reads, each value exactly as
 * `parseLine` (the in-thread reader, the reference) gives it, and nothing else: not `trace_id`
 * (no reader of the analysis), not whole `data` objects (cloning them cost more than parsing,
 * round 3). Issue 14 round 6 found six ways in which it was not (docs/performance.md);
 * test/reader/reader-parity.test.ts compares the whole analysis of both readers on generated
 * files, so a key the analysis starts to read must be added here and to its generator.
 */
export const STRIDE = 6;

/**
 * `turn` is any non-negative integer (parseLine keeps what JSON.parse reads, 1e20 too). Those that
 * fit an Int32 cross in `ints`; a larger one, or -0, crosses as TURN_ASIDE with its value in the
 * batch's `turns` (pairs: the event's index in the batch, the turn). Real turns never go there.
 */
export const TURN_ASIDE = -2;
export const MAX_INT_TURN = 0x7fffffff;

/**
 * Labels (provider, model, voice, transport, as the analysis reads them: the strings of `data`)
 * cross as one string per label set, one id of the string table. The string says each of the
 * four in turn: `-` when it is absent or not a string, else its length in UTF-16 units, `:`, and
 * the string. Every string can be told apart this way, "" and strings holding \0 or `:` too
 * (round 5 joined them by \0: "" read as absent, a \0 inside a provider split it). The fast
 * path writes the same bytes (labels there are ASCII: a byte per unit).
 */
export function labelSetKey(provider: unknown, model: unknown, voice: unknown, transport: unknown): string | undefined {
  const p = typeof provider === 'string';
  const m = typeof model === 'string';
  const v = typeof voice === 'string';
  const t = typeof transport === 'string';
  if (!p && !m && !v && !t) return undefined;
  const one = (s: unknown, is: boolean): string => (is ? `${(s as string).length}:${s as string}` : '-');
  return one(provider, p) + one(model, m) + one(voice, v) + one(transport, t);
}

export const LABEL_KEYS = ['provider', 'model', 'voice', 'transport'] as const;

/** The labels of a `labelSetKey` string, as data (an object with only these four keys, each a string). */
export function labelsOfKey(key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const name of LABEL_KEYS) {
    if (key.charCodeAt(i) === 45 /* - */) {
      i++;
      continue;
    }
    const colon = key.indexOf(':', i);
    const len = Number(key.slice(i, colon));
    out[name] = key.slice(colon + 1, colon + 1 + len);
    i = colon + 1 + len;
  }
  return out;
}

/**
 * The numbers the analysis reads from events of the types NUMBERS_ALWAYS / NUMBERS_WITHOUT_SPAN
 * name: keys of `data`, then keys of `data.metrics`. They cross as a Float64Array (`nums`), not as
 * objects: cloning objects per event cost more than parsing them (round 3). Per entry: the
 * event's index in the batch, the kinds (KIND_BITS per key, in this order), then one value per key
 * (the number for KIND_NUMBER, else 0). So a present non-number stays present (`"duration": null`
 * next to `"duration_s"`: their-numbers.ts takes the first key present), booleans stay booleans
 * (round 5 sent them as +-Infinity, which 1e400 also is), and a number is the number JSON.parse
 * reads (-0 and +-Infinity too).
 */
export const DATA_NUMBERS: readonly string[] = ['pid', 'seconds', 'success', 'duration', 'duration_s'];
export const METRICS_NUMBERS: readonly string[] = ['ttfa_ms', 'request_time_ms'];
/** Float64s per entry of `nums`: the event's index in the batch, the kinds, then one per key above. */
export const NUM_STRIDE = 2 + DATA_NUMBERS.length + METRICS_NUMBERS.length;
export const KIND_BITS = 3;
export const KIND_ABSENT = 0;
export const KIND_NUMBER = 1;
export const KIND_TRUE = 2;
export const KIND_FALSE = 3;
/**
 * Present, and neither a number nor a boolean (null, a string, an object, an array): crosses as
 * null. Every reader of these keys tests for a number or `=== false`, and "present" (the first
 * key present of their-numbers.ts), nothing else.
 */
export const KIND_OTHER = 4;

/** The kind of a value of `data` (above). */
export function kindOf(v: unknown): number {
  if (v === undefined) return KIND_ABSENT;
  if (typeof v === 'number') return KIND_NUMBER;
  if (v === true) return KIND_TRUE;
  if (v === false) return KIND_FALSE;
  return KIND_OTHER;
}

/** The value a kind and its number decode to. */
export function valueOfKind(kind: number, v: number): unknown {
  return kind === KIND_NUMBER ? v : kind === KIND_TRUE ? true : kind === KIND_FALSE ? false : kind === KIND_OTHER ? null : undefined;
}

/** The usage figures (analysis/usage.ts), in the order of LineScanner.usage. */
export const USAGE_NUMBERS = ['characters', 'audio_s', 'input_tokens', 'output_tokens'] as const;
/** Float64s per entry of `usage`: the event's index in the batch, then one per USAGE_NUMBERS (NaN: absent or not a number). */
export const USAGE_STRIDE = 1 + USAGE_NUMBERS.length;

/**
 * Event types whose usage figures (USAGE_NUMBERS) the analysis reads, on every line (ours with
 * span_id too). On the fast path the scanner notes where those numbers are, so no `data` is
 * parsed for them; an event whose data has none of them sends nothing. The reader hands them
 * over as FileEvent.usage, not inside `data`. (usage.ts reads a figure only when it is a finite
 * number >= 0: NaN for anything else loses nothing.)
 */
export const USAGE_TYPES: ReadonlySet<string> = new Set(['TTS_START', 'STT_START', 'LLM_COMPLETE']);

/**
 * Which lines' numbers (DATA_NUMBERS, METRICS_NUMBERS) cross, by event type, mirroring the
 * analysis's readers of them:
 * - on every line (ours with span_id too): `TOOL_REQUEST_END.success` (analyzer.ts errorStage: a
 *   failed tool call of our own library is a tool error too), `pid` of every `CONCH_*` type
 *   (conversations.ts pidOf: any type starting with CONCH_, null-session lines with span_id too),
 *   `TIME_SINCE_LAST_SESSION.seconds` (conversations.ts);
 * - on lines without span_id only: the embedded timings of TTS_PLAYBACK_END, STT_COMPLETE and
 *   RECORDING_END, which their-numbers.ts compares only on such lines (on ours they are our own
 *   numbers): our writer logs these three types every turn, and parsing their data would cost
 *   the worker a JSON.parse each.
 * Round 5 sent numbers for lines without span_id only, and `pid` for four CONCH_ types.
 */
export const NUMBERS_NONE = 1;
export const NUMBERS_ALWAYS = 2;
export const NUMBERS_WITHOUT_SPAN = 3;
const ALWAYS: ReadonlySet<string> = new Set(['TOOL_REQUEST_END', 'TIME_SINCE_LAST_SESSION']);
const WITHOUT_SPAN: ReadonlySet<string> = new Set(['TTS_PLAYBACK_END', 'STT_COMPLETE', 'RECORDING_END']);

/** The rule above for an event type: NUMBERS_NONE, NUMBERS_ALWAYS or NUMBERS_WITHOUT_SPAN. */
export function numbersRule(type: string): number {
  if (ALWAYS.has(type) || type.startsWith('CONCH_')) return NUMBERS_ALWAYS;
  return WITHOUT_SPAN.has(type) ? NUMBERS_WITHOUT_SPAN : NUMBERS_NONE;
}

/** Starts reading a file (the worker is idle: its previous job ended). */
export interface WorkerJob {
  kind: 'job';
  input: WorkerInput;
}

export type WorkerMessage =
  | {
      kind: 'batch';
      job: number;
      ts: Float64Array;
      ints: Int32Array;
      n: number;
      /** The worker's string table starts afresh with this batch's `fresh` strings (ids from 0). */
      reset: boolean;
      fresh: string[];
      spans: string[];
      /** Lines in this batch (blank and malformed lines too): the reader's line offset for the next batch. */
      lines: number;
      /** Batch-relative lines of the malformed lines. */
      skipped: number[];
      /** Batch-relative lines of the lines over `maxLineBytes` (skipped, not parsed). */
      long: number[];
      /** The numbers of the events numbersRule() names (NUM_STRIDE per entry, `numsN` entries). */
      nums: Float64Array;
      numsN: number;
      /** The usage figures of the USAGE_TYPES events that have any (USAGE_STRIDE per entry, `usageN` entries). */
      usage: Float64Array;
      usageN: number;
      /** Turns that do not fit `ints` (TURN_ASIDE): the event's index in the batch, then its turn; usually empty. */
      turns: number[];
      /** Events of this batch read with NaN / Infinity taken as null. */
      nonFinite: number;
      bytes: number;
      /** Bytes stage 1 (special-bytes.ts) marked since the batch before: 0 without it (a diagnostic: ReadStats.markedBytes). */
      marked: number;
    }
  | { kind: 'end'; job: number; bytes: number }
  | { kind: 'error'; job: number; message: string };
