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
 * Ints per event: type, session (-1 null), turn (-1 none), span (-1 none), labels (-1 none),
 * line. Type, session and labels index the worker's string table (grown by the `fresh` strings
 * of each batch; emptied first when the batch has `reset`); span indexes the batch's own `spans`. Lines are 1-based inside
 * the batch; the reader adds the lines of the batches before it.
 */
export const STRIDE = 6;

/**
 * The numbers the analysis reads from FULL_DATA_TYPES events: keys of `data`, then keys of
 * `data.metrics`. They cross as one Float64Array (NaN: absent or not a number; a boolean as
 * +-Infinity, which no data number can be: non-finite numbers are read as null),
 * not as objects: cloning objects per event cost more than parsing them.
 */
export const DATA_NUMBERS: readonly string[] = ['pid', 'seconds', 'success', 'duration', 'duration_s'];
export const METRICS_NUMBERS: readonly string[] = ['ttfa_ms', 'request_time_ms'];
/** Float64s per entry of `nums`: the event's index in the batch, then one per key above. */
export const NUM_STRIDE = 1 + DATA_NUMBERS.length + METRICS_NUMBERS.length;

/** The usage figures (analysis/usage.ts), in the order of LineScanner.usage. */
export const USAGE_NUMBERS = ['characters', 'audio_s', 'input_tokens', 'output_tokens'] as const;
/** Float64s per entry of `usage`: the event's index in the batch, then one per USAGE_NUMBERS (NaN: absent or not a number). */
export const USAGE_STRIDE = 1 + USAGE_NUMBERS.length;

/**
 * Event types whose usage figures (USAGE_NUMBERS) the analysis reads, on every line (ours with
 * span_id too). On the fast path the scanner notes where those numbers are, so no `data` is
 * parsed for them; an event whose data has none of them sends nothing. The reader hands them
 * over as FileEvent.usage, not inside `data`.
 */
export const USAGE_TYPES: ReadonlySet<string> = new Set(['TTS_START', 'STT_START', 'LLM_COMPLETE']);

/**
 * Event types whose `data` the analysis reads (conversations, assistant time, voicemode's
 * embedded timings, tool failures) on lines without span_id (other writers: voicemode, the
 * spec's logger); every other event crosses from the worker with its labels only.
 */
export const FULL_DATA_TYPES: ReadonlySet<string> = new Set([
  'TIME_SINCE_LAST_SESSION',
  'TOOL_REQUEST_END',
  'TOOL_CANCELLED',
  'TTS_PLAYBACK_END',
  'STT_COMPLETE',
  'RECORDING_END',
  'CONCH_WAIT_START',
  'CONCH_WAIT_END',
  'CONCH_ACQUIRE',
  'CONCH_RELEASE',
]);

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
      /** The numbers of the FULL_DATA_TYPES events (NUM_STRIDE per entry, `numsN` entries). */
      nums: Float64Array;
      numsN: number;
      /** The usage figures of the USAGE_TYPES events that have any (USAGE_STRIDE per entry, `usageN` entries). */
      usage: Float64Array;
      usageN: number;
      /** Events of this batch read with NaN / Infinity taken as null. */
      nonFinite: number;
      bytes: number;
      /** Bytes stage 1 (special-bytes.ts) marked since the batch before: 0 without it (a diagnostic: ReadStats.markedBytes). */
      marked: number;
    }
  | { kind: 'end'; job: number; bytes: number }
  | { kind: 'error'; job: number; message: string };
