/** Messages between the compact reader (read-events.ts) and its workers (parse-worker.ts). */
export interface WorkerInput {
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

export type WorkerMessage =
  | {
      kind: 'batch';
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
      bytes: number;
    }
  | { kind: 'end'; bytes: number }
  | { kind: 'error'; message: string };
