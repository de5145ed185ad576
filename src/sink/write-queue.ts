import { performance } from 'node:perf_hooks';
import type { Rotation, Warn } from '../config.js';
import type { EventRecord } from '../events/record.js';
import { describeError, type AppendKind } from './append-only-file.js';
import { ChunkEncoder, type Chunk } from './chunk-encoder.js';

/** Where the queue's chunks go: `AppendOnlyFile`, or a stand-in in tests. */
export interface AppendTarget {
  readonly dir: string;
  /** One append; `started(preSize)` once the write is issued; rejects (nothing torn left) on failure. */
  append(path: string, buffers: Buffer[], length: number, started?: (preSize: number) => void): Promise<AppendKind>;
  /** Whether the `unchecked` appends since the last check reached a file still linked (false: write them again). */
  check(): Promise<boolean>;
  /** After a drain: the file kept open is closed. */
  close(): Promise<void>;
  /** The exit path: a synchronous append. Throws on failure. */
  appendSync(path: string, data: Buffer): void;
  /** The exit path: bytes of an append still running that reached the file since it had `preSize` bytes (waits at most `waitMs`). */
  writtenSince(path: string, preSize: number, length: number, waitMs: number): number;
}

export interface WriteQueueOptions {
  /** The file names' rule (in `target.dir`). */
  rotation: Rotation;
  target: AppendTarget;
  /** Must not throw (the writer wraps the user's). */
  warn: Warn;
  flushIntervalMs: number;
  maxBufferedBytes: number;
  stallMs: number;
}

/**
 * - `idle`: nothing being written; records and chunks may wait for the timer.
 * - `draining`: a drain is writing the queue to the target (writes work).
 * - `failing`: the last write failed, or has not finished after `stallMs`; the memory bound
 *   applies; a retry (a drain) runs every flush interval. Left by the first write that succeeds.
 * - `closed`: after `shutdown`; records are ignored.
 */
export type WriteQueueState = 'idle' | 'draining' | 'failing' | 'closed';

/** Records are formatted in slices of at most this many lines. */
const SLICE = 256;
/** A format pass stops after this long (and goes on in the next turn of the event loop): it never holds the loop for long. */
const FORMAT_BUDGET_MS = 0.5;
/** Formatted bytes that start a write at once instead of waiting for the flush interval. */
const EAGER_WRITE_BYTES = 256 * 1024;
/** One write covers queued chunks of one file up to this many bytes / buffers. */
const MAX_WRITE_BYTES = 1024 * 1024;
const MAX_WRITE_BUFFERS = 256;
/** Chunks written by unchecked appends that are checked at the latest (one fstat), also when more follow. */
const CHECK_EVERY_CHUNKS = 64;
/** Longest wait at exit for a write already handed to the thread pool. */
const EXIT_WAIT_MS = 1000;

/** One write in flight: the chunks at the queue's front it covers, and the file's size before them (for an exact finish at exit). */
interface InFlight {
  path: string;
  chunks: Chunk[];
  length: number;
  preSize: number | undefined;
}

/**
 * Records in, chunks out to the target, in order, with bounded memory while writing fails.
 *
 * Its rules (each where it is enforced below):
 * - `write()` is O(1) on the caller's path: it only pushes the record. Formatting happens on the
 *   next turn of the event loop, in passes of at most FORMAT_BUDGET_MS, so records die young (a
 *   record waiting for a 200 ms timer outlives several scavenges; docs/performance.md). Bytes are
 *   written once the flush interval passes, or at once when EAGER_WRITE_BYTES are waiting.
 * - Pending = records not yet formatted + the chunk being built + queued chunks. The chunk being
 *   built counts: its bytes are in `queuedBytes`, a drain seals it when the queue is empty, so
 *   `flush()` and `shutdown()` write a record formatted while a drain was closing its file.
 * - Chunks being written stay at the queue's front until the write succeeds, and leave it the
 *   moment it does (so an exit right after cannot write them twice). The memory bound never
 *   drops them, and `flushSync` finishes exactly them first.
 * - Chunks written by an `unchecked` append (the target's file kept open, no stat before it)
 *   stay at the very front, counted in `written`, until `target.check()` says their file is still
 *   linked: then they leave; if it was removed (the folder deleted during a drain), they are
 *   written again. A check is made when the queue has nothing else to write, before a chunk of
 *   another file, after a failed write, and every CHECK_EVERY_CHUNKS chunks. For `flushSync` and
 *   the memory bound they are written chunks: never written again at exit, never dropped.
 * - `flushSync` (process exit) never writes a line twice: a write already handed to the thread
 *   pool keeps running while the exit handler does, so it waits (at most EXIT_WAIT_MS) for the
 *   file to grow by that write from its size before it (`preSize`), and writes only the rest.
 * - The memory bound (`maxBufferedBytes`) applies only while `failing`: a burst faster than the
 *   disk waits; during an outage the oldest queued chunks are dropped, counted, and reported as an
 *   `EVENT_LOG_DROPPED` line once writing works again.
 * - One warning per outage (per distinct reason), one notice when writing works again.
 */
export class WriteQueue {
  private readonly target: AppendTarget;
  private readonly encoder: ChunkEncoder;
  private readonly warn: Warn;
  private readonly intervalMs: number;
  private readonly maxBufferedBytes: number;
  private readonly stallMs: number;

  private stateNow: WriteQueueState = 'idle';
  /** Why writing fails (set exactly while `failing`). */
  private failing: string | undefined;
  /** Records not yet formatted: `records` fills while `backlog[backlogPos..]` is being formatted. */
  private records: EventRecord[] = [];
  private backlog: EventRecord[] = [];
  private backlogPos = 0;
  private readonly queue: Chunk[] = [];
  /** The first `written` chunks of the queue are written, waiting for `target.check()`. */
  private written = 0;
  /** Bytes of the queued chunks and of the chunk being built. */
  private queuedBytes = 0;
  private formatScheduled = false;
  private formatWarned = false;
  private timer: NodeJS.Timeout | undefined;
  /** The drain running now (in `draining`, or a retry in `failing`). */
  private running: Promise<void> | undefined;
  /** The write in flight, for an exact sync finish at exit. */
  private current: InFlight | undefined;
  private droppedLines = 0;
  private droppedUnreported = 0;

  constructor(options: WriteQueueOptions) {
    this.target = options.target;
    this.warn = options.warn;
    this.intervalMs = options.flushIntervalMs;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.stallMs = options.stallMs;
    this.encoder = new ChunkEncoder(options.target.dir, options.rotation, (chunk) => this.queue.push(chunk));
  }

  get state(): WriteQueueState {
    return this.stateNow;
  }

  /** Why writing fails right now (path and error code), or undefined when it works. */
  get failure(): string | undefined {
    return this.failing;
  }

  get dropped(): number {
    return this.droppedLines;
  }

  get pending(): { records: number; bytes: number } {
    return { records: this.unformatted(), bytes: this.queuedBytes };
  }

  write(record: EventRecord): void {
    if (this.stateNow === 'closed') return;
    this.records.push(record);
    if (!this.formatScheduled) {
      this.formatScheduled = true;
      setImmediate(this.formatPass);
    }
  }

  /** Resolves when everything written before the call is on disk (or one retry has failed). */
  async flush(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      this.kick();
      await this.running;
      if (!this.hasPending()) return;
      if (this.failing) return;
    }
  }

  /** Flushes, then closes: what could not be written by then is counted as dropped and said once. */
  async shutdown(): Promise<void> {
    await this.flush();
    this.stateNow = 'closed';
    this.clearTimer();
    this.formatPending();
    this.encoder.seal();
    this.forgetWritten();
    const lost = this.queue.reduce((n, c) => n + c.lines, 0);
    if (lost > 0) {
      this.droppedLines += lost;
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.warn(`${lost} events could not be written to ${this.target.dir} before shutdown (${this.failing ?? 'writing failed'})`);
    }
  }

  /** Synchronous last-chance write at process exit: finishes the write in flight exactly, then the rest. */
  flushSync(): void {
    this.clearTimer();
    try {
      this.formatPending();
      this.encoder.seal();
      this.forgetWritten(); // on disk already: not written twice
      const flight = this.current;
      if (flight && this.queue.includes(flight.chunks[0]!)) {
        // Still at the front: not known written. What the thread pool wrote of it is not written again.
        const { path, chunks, length, preSize } = flight;
        const done = preSize === undefined ? 0 : this.target.writtenSince(path, preSize, length, EXIT_WAIT_MS);
        this.target.appendSync(path, Buffer.concat(chunks.map((c) => c.data)).subarray(done));
        for (const c of chunks) this.remove(c);
      }
      this.current = undefined;
      while (this.queue.length > 0) {
        const chunk = this.queue[0]!;
        this.target.appendSync(chunk.path, chunk.data);
        this.remove(chunk);
      }
    } catch (err) {
      this.warn(`could not write pending events to ${this.target.dir} at exit: ${describeError(err)}`);
    }
  }

  /** Formats what was logged, for at most FORMAT_BUDGET_MS, then lets the bytes be written. */
  private readonly formatPass = (): void => {
    this.formatScheduled = false;
    if (this.stateNow === 'closed') return;
    const start = performance.now();
    while (this.unformatted() > 0) {
      this.formatSlice();
      if (performance.now() - start >= FORMAT_BUDGET_MS) break;
    }
    if (this.unformatted() > 0) {
      this.formatScheduled = true;
      setImmediate(this.formatPass);
    }
    // While failing, retries keep their interval. A drain already running takes the new bytes;
    // the timer is the backstop for one that is just finishing.
    if (this.queuedBytes >= EAGER_WRITE_BYTES && this.stateNow === 'idle') this.kick();
    else this.scheduleRetry();
  };

  private kick(): void {
    this.clearTimer();
    if (this.running) return;
    if (this.stateNow === 'idle') this.stateNow = 'draining'; // failing stays failing: this drain is a retry
    this.running = this.drain()
      .catch((err) => this.warn(`event log writer failed: ${describeError(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.stateNow === 'draining') this.stateNow = 'idle';
        if (this.hasPending()) this.scheduleRetry();
      });
  }

  private scheduleRetry(): void {
    if (this.stateNow === 'closed' || this.timer) return;
    this.timer = setTimeout(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.queue.length === this.written) {
          // the chunk being built is pending too: sealed and written by this drain
          if (this.encoder.buildingBytes > 0) this.encoder.seal();
          else if (this.unformatted() > 0) this.formatSlice();
          else if (this.written > 0) await this.checkWritten();
          else return;
          continue;
        }
        if (this.written >= CHECK_EVERY_CHUNKS || (this.written > 0 && this.queue[this.written]!.path !== this.queue[0]!.path)) {
          await this.checkWritten();
          continue;
        }
        const ok = await this.writeNext(); // dequeues the chunks once they are written (and checked)
        if (!ok) {
          await this.checkWritten(); // the file was closed: what it says about the unchecked ones
          // Everything waits in the queue, now bounded; retried after an interval.
          this.formatPending();
          this.enforceBound();
          return;
        }
        if (this.droppedUnreported > 0 && this.queue.length === this.written) this.reportDropped();
      }
    } finally {
      await this.target.close();
    }
  }

  /** Asks the target about the chunks written unchecked: they leave the queue, or are written again. */
  private async checkWritten(): Promise<void> {
    if (this.written === 0) return;
    const linked = await this.target.check();
    if (linked) this.forgetWritten();
    else this.written = 0; // their file was removed while open: written again, to a new one
  }

  /** The first `written` chunks leave the queue (they are on disk). */
  private forgetWritten(): void {
    for (const c of this.queue.splice(0, this.written)) this.queuedBytes -= c.data.length;
    this.written = 0;
  }

  private remove(chunk: Chunk): void {
    const i = this.queue.indexOf(chunk);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.queuedBytes -= chunk.data.length;
  }

  private hasPending(): boolean {
    return this.unformatted() > 0 || this.queuedBytes > 0;
  }

  private unformatted(): number {
    return this.records.length + this.backlog.length - this.backlogPos;
  }

  /** Encodes at most one slice of records. A record that cannot be formatted is dropped, counted and warned about once. */
  private formatSlice(): void {
    if (this.backlogPos >= this.backlog.length) {
      // Take everything logged so far in one swap; slices are then cut by index (no copying of the rest).
      this.backlog = this.records;
      this.backlogPos = 0;
      this.records = [];
    }
    const end = Math.min(this.backlogPos + SLICE, this.backlog.length);
    const backlog = this.backlog;
    for (let i = this.backlogPos; i < end; i++) {
      try {
        this.queuedBytes += this.encoder.append(backlog[i]!);
      } catch (err) {
        // Cannot happen with records from our API; whatever it was, it must not stop the
        // writer or reach the app (this runs on its own turn of the event loop). Counted.
        this.droppedLines++;
        this.droppedUnreported++;
        if (!this.formatWarned) this.warn(`an event could not be formatted and was dropped (said once): ${describeError(err)}`);
        this.formatWarned = true;
      }
    }
    this.backlogPos = end;
    if (end === backlog.length) {
      this.backlog = [];
      this.backlogPos = 0;
    }
    this.enforceBound();
  }

  /** Encodes every pending record, slice by slice (so the memory bound applies as it goes). */
  private formatPending(): void {
    while (this.unformatted() > 0) this.formatSlice();
  }

  /** While failing, drops the oldest queued chunks (never those in flight) when memory is over the bound. */
  private enforceBound(): void {
    if (this.failing === undefined || this.queuedBytes <= this.maxBufferedBytes) return; // a burst faster than the disk waits
    this.encoder.seal();
    const inFlight = this.written + (this.current?.chunks.length ?? 0); // written (unchecked) and in-flight chunks stay
    while (this.queuedBytes > this.maxBufferedBytes && this.queue.length > inFlight + 1) {
      const [chunk] = this.queue.splice(inFlight, 1);
      if (!chunk) break;
      this.queuedBytes -= chunk.data.length;
      this.droppedLines += chunk.lines;
      this.droppedUnreported += chunk.lines;
    }
  }

  private reportDropped(): void {
    const count = this.droppedUnreported;
    this.droppedUnreported = 0;
    const now = Date.now() * 1000;
    this.queuedBytes += this.encoder.append({ timestampUs: now, eventType: 'EVENT_LOG_DROPPED', sessionId: null, data: { count, total: this.droppedLines } });
  }

  /** Writes the chunks at the front of the queue that belong to one file, in one append. */
  private async writeNext(): Promise<boolean> {
    const first = this.queue[this.written]!;
    const flight: InFlight = { path: first.path, chunks: [first], length: first.data.length, preSize: undefined };
    for (let i = this.written + 1; i < this.queue.length && flight.chunks.length < MAX_WRITE_BUFFERS; i++) {
      const next = this.queue[i]!;
      if (next.path !== flight.path || flight.length + next.data.length > MAX_WRITE_BYTES) break;
      flight.chunks.push(next);
      flight.length += next.data.length;
    }
    this.current = flight;
    const watchdog = setTimeout(() => this.stalled(flight), this.stallMs);
    watchdog.unref();
    try {
      const kind = await this.target.append(
        flight.path,
        flight.chunks.map((c) => c.data),
        flight.length,
        (preSize) => (flight.preSize = preSize),
      );
      // Written: off the queue at once, so an exit right after cannot write them twice; or,
      // written unchecked, kept at the front (never written again at exit) until checked.
      if (kind === 'unchecked') this.written += flight.chunks.length;
      else for (const c of flight.chunks) this.remove(c);
      this.current = undefined;
      if (this.failing) {
        this.failing = undefined;
        this.warn(`writing events to ${this.target.dir} works again`);
      }
      if (this.stateNow !== 'closed') this.stateNow = 'draining';
      return true;
    } catch (err) {
      const reason = describeError(err);
      if (this.failing !== reason) {
        this.failing = reason;
        this.warn(`cannot write events to ${flight.path}: ${reason}; keeping them in memory and retrying`);
      }
      if (this.stateNow !== 'closed') this.stateNow = 'failing';
      return false;
    } finally {
      clearTimeout(watchdog);
      this.current = undefined;
    }
  }

  /** A write that does not finish: treated as an outage (warned once, memory bounded) until it does. */
  private stalled(flight: InFlight): void {
    if (this.current !== flight || this.failing) return;
    this.failing = `write not finished after ${this.stallMs} ms`;
    if (this.stateNow !== 'closed') this.stateNow = 'failing';
    this.warn(`writing events to ${flight.path} has not finished after ${this.stallMs} ms; keeping new events in memory (bounded)`);
    this.enforceBound();
  }
}
