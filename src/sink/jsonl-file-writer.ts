import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileNameFor, warnStderr, type Rotation, type Warn } from '../config.js';
import type { EventRecord } from '../events/record.js';
import { formatLine } from './line-format.js';

export interface JsonlFileWriterOptions {
  dir: string;
  rotation?: Rotation;
  /** Longest time a record waits in memory before a write starts. */
  flushIntervalMs?: number;
  /** Bytes kept in memory while the folder cannot be written; beyond it the oldest lines are dropped and counted. */
  maxBufferedBytes?: number;
  warn?: Warn;
  /** How files are opened (a seam for fault-injection tests). Default fs.promises.open. */
  openFile?: OpenFile;
}

/** The part of a FileHandle the writer uses. */
export interface AppendHandle {
  stat(): Promise<{ size: number }>;
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}
export type OpenFile = (path: string, flags: 'a', mode: number) => Promise<AppendHandle>;

interface Chunk {
  path: string;
  data: Buffer;
  lines: number;
}

/** Records are formatted and written in slices this big, so one slice never holds the event loop for long. */
const SLICE = 512;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Owns the JSONL files: buffering, batching, daily/hourly rotation, modes, and recovery.
 *
 * - `write()` is O(1) on the caller's path: it only pushes the record. Formatting and file
 *   I/O happen later, asynchronously, in slices.
 * - A file is opened for each batch and closed after it (O_APPEND, mode 0600 on creation):
 *   a folder deleted while running is re-created, rotation needs no bookkeeping, and
 *   several processes can append to the same daily file without tearing lines.
 * - A failed write (disk full, folder unusable) warns once per outage with the path and
 *   error code, truncates any partial line it left, keeps the data in memory (bounded),
 *   and retries every interval. What had to be dropped is counted and written as an
 *   `EVENT_LOG_DROPPED` line once writing works again.
 * - `flushSync()` is for the process 'exit' event only, where no async I/O can complete.
 */
export class JsonlFileWriter {
  readonly dir: string;
  private readonly rotation: Rotation;
  private readonly intervalMs: number;
  private readonly maxBufferedBytes: number;
  private readonly warn: Warn;
  private readonly openFile: OpenFile;

  /** Records not yet formatted: `records` fills while `backlog[backlogPos..]` is being formatted. */
  private records: EventRecord[] = [];
  private backlog: EventRecord[] = [];
  private backlogPos = 0;
  /** File name of the last UTC hour seen: the name changes at most once an hour. */
  private nameHour = Number.NaN;
  private nameOfHour = '';
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** The chunk being written right now and the file size before it, for an exact sync finish at exit. */
  private current: { chunk: Chunk; preSize: number | undefined } | undefined;
  private dirReady = false;
  private failing: string | undefined;
  private droppedLines = 0;
  private droppedUnreported = 0;
  private closed = false;

  constructor(options: JsonlFileWriterOptions) {
    this.dir = options.dir;
    this.rotation = options.rotation ?? 'daily';
    this.intervalMs = options.flushIntervalMs ?? 200;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024;
    this.warn = options.warn ?? warnStderr;
    this.openFile = options.openFile ?? open;
  }

  /** Events that could not be kept (buffer full while the folder was unusable). */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Records and bytes not yet on disk. */
  get pending(): { records: number; bytes: number } {
    return { records: this.unformatted(), bytes: this.queuedBytes };
  }

  write(record: EventRecord): void {
    if (this.closed) return;
    this.records.push(record);
    if (this.records.length >= SLICE * 4) {
      // While the folder is unusable, format now so the memory bound applies; retries keep their interval.
      if (this.failing) this.formatPending();
      else this.kick();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.kick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Resolves when everything written before the call is on disk (or one retry has failed). */
  async flush(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      this.kick();
      await this.draining;
      if (this.unformatted() === 0 && this.queue.length === 0) return;
      if (this.failing) return;
    }
  }

  /** Why writing fails right now (path and error code), or undefined when it works. */
  get failure(): string | undefined {
    return this.failing;
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Whatever could not be written by now is lost: counted, and said once.
    this.formatPending();
    const lost = this.queue.reduce((n, c) => n + c.lines, 0);
    if (lost > 0) {
      this.droppedLines += lost;
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.warn(`${lost} events could not be written to ${this.dir} before shutdown (${this.failing ?? 'writing failed'})`);
    }
  }

  /** Synchronous last-chance write at process exit: finishes the chunk in flight exactly, then the rest. */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.formatPending();
      if (this.current && this.queue.includes(this.current.chunk)) {
        const { chunk, preSize } = this.current;
        // preSize is known once the async write was issued: a thread-pool thread may be writing
        // the chunk right now, and it keeps running while this handler does. Wait (bounded) for
        // the file to grow by the chunk before deciding what is left, or the chunk lands twice.
        const done = preSize === undefined ? 0 : writtenSince(chunk.path, preSize, chunk.data.length, EXIT_WAIT_MS);
        this.writeSyncTo(chunk.path, chunk.data.subarray(done));
        this.remove(chunk);
      }
      this.current = undefined;
      while (this.queue.length > 0) {
        const chunk = this.queue[0]!;
        this.writeSyncTo(chunk.path, chunk.data);
        this.dequeue();
      }
    } catch (err) {
      this.warn(`could not write pending events to ${this.dir} at exit: ${describe(err)}`);
    }
  }

  private writeSyncTo(path: string, data: Buffer): void {
    if (data.length === 0) return;
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    const fd = openSync(path, 'a', FILE_MODE);
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    } finally {
      closeSync(fd);
    }
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.draining) return;
    this.draining = this.drain()
      .catch((err) => this.warn(`event log writer failed: ${describe(err)}`))
      .finally(() => {
        this.draining = undefined;
        if (this.unformatted() > 0 || this.queue.length > 0) this.scheduleRetry();
      });
  }

  private scheduleRetry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.unformatted() === 0) return;
        this.formatSlice();
      }
      const chunk = this.queue[0]!;
      const ok = await this.writeChunk(chunk); // dequeues the chunk once it is written
      if (!ok) {
        this.formatPending(); // everything waits in the bounded queue; retried after an interval
        return;
      }
      if (this.droppedUnreported > 0 && this.queue.length === 0) this.reportDropped();
    }
  }

  private dequeue(): void {
    const chunk = this.queue.shift();
    if (chunk) this.queuedBytes -= chunk.data.length;
  }

  private remove(chunk: Chunk): void {
    const i = this.queue.indexOf(chunk);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.queuedBytes -= chunk.data.length;
  }

  private unformatted(): number {
    return this.records.length + this.backlog.length - this.backlogPos;
  }

  /** Every file name is within one UTC hour (daily and hourly rotation alike), so it is computed once an hour. */
  private fileName(us: number): string {
    const hour = Math.floor(us / 3_600_000_000);
    if (hour !== this.nameHour) {
      this.nameHour = hour;
      this.nameOfHour = fileNameFor(hour * 3_600_000_000, this.rotation);
    }
    return this.nameOfHour;
  }

  /** Formats at most one slice of records into per-file chunks at the back of the queue. */
  private formatSlice(): void {
    if (this.backlogPos >= this.backlog.length) {
      // Take everything logged so far in one swap; slices are then cut by index (no copying of the rest).
      this.backlog = this.records;
      this.backlogPos = 0;
      this.records = [];
    }
    const end = Math.min(this.backlogPos + SLICE, this.backlog.length);
    const slice = this.backlog.slice(this.backlogPos, end);
    this.backlogPos = end;
    if (end === this.backlog.length) {
      this.backlog = [];
      this.backlogPos = 0;
    }
    this.enqueue(slice);
  }

  /** Formats every pending record, slice by slice (so the memory bound can drop whole slices). */
  private formatPending(): void {
    while (this.unformatted() > 0) this.formatSlice();
  }

  private enqueue(records: EventRecord[]): void {
    const byFile = new Map<string, { text: string; lines: number }>();
    for (const r of records) {
      const name = this.fileName(r.timestampUs);
      const entry = byFile.get(name);
      const line = formatLine(r);
      if (entry) {
        entry.text += line;
        entry.lines++;
      } else byFile.set(name, { text: line, lines: 1 });
    }
    for (const [name, { text, lines }] of byFile) {
      const data = Buffer.from(text, 'utf8');
      this.queue.push({ path: join(this.dir, name), data, lines });
      this.queuedBytes += data.length;
    }
    this.enforceBound();
  }

  /** Drops the oldest unwritten chunks (never the one in flight) when memory is over the bound. */
  private enforceBound(): void {
    while (this.queuedBytes > this.maxBufferedBytes && this.queue.length > 1) {
      const victim = this.current?.chunk === this.queue[0] ? 1 : 0;
      const [chunk] = this.queue.splice(victim, 1);
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
    this.enqueue([{ timestampUs: now, eventType: 'EVENT_LOG_DROPPED', sessionId: null, data: { count, total: this.droppedLines } }]);
  }

  private async writeChunk(chunk: Chunk): Promise<boolean> {
    this.current = { chunk, preSize: undefined };
    let fh: AppendHandle | undefined;
    try {
      if (!this.dirReady) {
        await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
        this.dirReady = true;
        await this.checkFolderMode();
      }
      try {
        fh = await this.openFile(chunk.path, 'a', FILE_MODE);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The folder vanished while we ran: make it again once.
        await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
        fh = await this.openFile(chunk.path, 'a', FILE_MODE);
      }
      const preSize = (await fh.stat()).size;
      this.current.preSize = preSize;
      try {
        // One write() per chunk (O_APPEND): other processes' lines never land inside ours.
        let off = 0;
        while (off < chunk.data.length) off += (await fh.write(chunk.data, off, chunk.data.length - off)).bytesWritten;
        // Written: off the queue at once, so an exit during the close below cannot write it twice.
        this.remove(chunk);
        this.current = undefined;
      } catch (err) {
        // Never leave a torn line behind: cut the file back to where this chunk began.
        await fh.truncate(preSize).catch(() => undefined);
        throw err;
      }
      if (this.failing) {
        this.failing = undefined;
        this.warn(`writing events to ${this.dir} works again`);
      }
      return true;
    } catch (err) {
      this.dirReady = false;
      const reason = describe(err);
      if (this.failing !== reason) {
        this.failing = reason;
        this.warn(`cannot write events to ${chunk.path}: ${reason}; keeping them in memory and retrying`);
      }
      return false;
    } finally {
      this.current = undefined;
      await fh?.close().catch(() => undefined);
    }
  }

  private modeChecked = false;

  /** An existing folder others can read gets one warning: these files hold what people said. */
  private async checkFolderMode(): Promise<void> {
    if (this.modeChecked) return;
    this.modeChecked = true;
    try {
      const mode = (await stat(this.dir)).mode & 0o777;
      if (mode & 0o077) {
        this.warn(
          `event log folder ${this.dir} has mode ${mode.toString(8).padStart(4, '0')}: other users can read what people said; ` +
            `run chmod 700 ${this.dir}`,
        );
      }
    } catch {
      // the write that follows reports any real problem
    }
  }
}

/** Longest wait at exit for a write already handed to the thread pool. */
const EXIT_WAIT_MS = 1000;

/** Bytes of a chunk of `length` appended since the file had `preSize` bytes, waiting up to `waitMs` for all of them. */
function writtenSince(path: string, preSize: number, length: number, waitMs: number): number {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + waitMs;
  for (;;) {
    let done = 0;
    try {
      done = Math.min(Math.max(statSync(path).size - preSize, 0), length);
    } catch {
      return 0;
    }
    if (done >= length || Date.now() >= until) return done;
    Atomics.wait(sleeper, 0, 0, 2); // a synchronous 2 ms sleep: 'exit' handlers cannot await
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(e?.message ?? err);
}

/** True when the path exists and is a folder we could create files in (used by the demo's early warning). */
export async function probeDir(dir: string): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const s = await stat(dir);
    if (!s.isDirectory()) return `${dir} is not a folder`;
    return undefined;
  } catch (err) {
    return `cannot use ${dir}: ${describe(err)}`;
  }
}
