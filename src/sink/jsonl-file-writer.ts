import type { Rotation } from '../config.js';
import { reporter, type Warn } from '../warn.js';
import type { EventRecord } from '../events/record.js';
import { AppendOnlyFile, type OpenFile } from './append-only-file.js';
import { WriteQueue } from './write-queue.js';

export type { AppendHandle, OpenFile } from './append-only-file.js';
export { probeDir } from './append-only-file.js';

export interface JsonlFileWriterOptions {
  dir: string;
  rotation?: Rotation;
  /** Longest time a record waits in memory before a write starts. */
  flushIntervalMs?: number;
  /** Bytes kept in memory while the folder cannot be written; beyond it the oldest lines are dropped and counted. */
  maxBufferedBytes?: number;
  /** Receives the writer's warnings (an outage once, modes, drops). Default: OTel's diag when the app set a diag logger, else stderr (warn.ts). */
  warn?: Warn;
  /** How files are opened (a seam for fault-injection tests). Default fs.promises.open. */
  openFile?: OpenFile;
  /**
   * A write still not finished after this long (a hung network filesystem, say) counts as
   * failing: one warning, and the memory bound applies until it completes. Default 5000 ms.
   */
  stallMs?: number;
}

/**
 * Owns the JSONL files: buffering, batching, daily/hourly rotation, modes, and recovery. It
 * composes three parts, each with its own rules (stated where they live):
 *
 * - `ChunkEncoder` (chunk-encoder.ts): records to lines (line-format.ts) in chunks of whole
 *   lines of one file; the file name by rotation (log-file-name.ts).
 * - `WriteQueue` (write-queue.ts): when and in what order chunks are written; its state
 *   `idle | draining | failing | closed`; the memory bound during outages and the
 *   `EVENT_LOG_DROPPED` count; warnings once per outage; `flushSync` at exit without writing twice.
 * - `AppendOnlyFile` (append-only-file.ts): the safe append (O_APPEND | O_NOFOLLOW | O_NONBLOCK,
 *   regular files only, 0600 in a 0700 folder, one writev, cut back on failure), one fstat per
 *   open file with `check()` for the appends after it (a file removed while open), and the
 *   synchronous twin for exit.
 *
 * `flushSync()` is for the process 'exit' event only, where no async I/O can complete.
 */
export class JsonlFileWriter {
  readonly dir: string;
  private readonly queue: WriteQueue;

  constructor(options: JsonlFileWriterOptions) {
    this.dir = options.dir;
    // Warnings are given on the writer's own event-loop turns: a warn function that throws
    // would be an uncaught exception in the app (reporter() ignores it).
    const safeWarn = reporter(options.warn);
    this.queue = new WriteQueue({
      rotation: options.rotation ?? 'daily',
      target: new AppendOnlyFile({ dir: options.dir, warn: safeWarn, openFile: options.openFile }),
      warn: safeWarn,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      maxBufferedBytes: options.maxBufferedBytes ?? 32 * 1024 * 1024,
      stallMs: options.stallMs ?? 5000,
    });
  }

  /** Events that could not be kept (buffer full while the folder was unusable). */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Records and bytes not yet on disk. */
  get pending(): { records: number; bytes: number } {
    return this.queue.pending;
  }

  /** Why writing fails right now (path and error code), or undefined when it works. */
  get failure(): string | undefined {
    return this.queue.failure;
  }

  /** O(1): the record is formatted and written later (see WriteQueue). */
  write(record: EventRecord): void {
    this.queue.write(record);
  }

  /** Resolves when everything written before the call is on disk (or one retry has failed). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }

  /** Synchronous last-chance write at process exit: finishes the chunk in flight exactly, then the rest. */
  flushSync(): void {
    this.queue.flushSync();
  }
}
