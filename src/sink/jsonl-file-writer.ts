import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileNameFor, warnStderr, type Rotation, type Warn } from '../config.js';
import type { EventRecord } from '../events/record.js';
import { encodeLine } from './line-format.js';

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
  /**
   * A write still not finished after this long (a hung network filesystem, say) counts as
   * failing: one warning, and the memory bound applies until it completes. Default 5000 ms.
   */
  stallMs?: number;
}

/** The part of a FileHandle the writer uses. */
export interface AppendHandle {
  /**
   * `nlink` 0 means the file was removed while open (a handle kept across chunks must then be
   * reopened); `isFile` and `mode` are checked once per open (only regular files, at most 0600).
   */
  stat(): Promise<{ size: number; nlink?: number; mode?: number; isFile?(): boolean }>;
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  chmod?(mode: number): Promise<void>;
  close(): Promise<void>;
}
export type OpenFile = (path: string, flags: number, mode: number) => Promise<AppendHandle>;

interface Chunk {
  path: string;
  data: Buffer;
  lines: number;
}

/** One write in flight: queued chunks of one file, and the file's size before them (for an exact finish at exit). */
interface InFlight {
  path: string;
  chunks: Chunk[];
  length: number;
  preSize: number | undefined;
}

/** Records are formatted in slices of at most this many lines. */
const SLICE = 256;
/** A format pass stops after this long (and goes on in the next turn of the event loop): it never holds the loop for long. */
const FORMAT_BUDGET_MS = 0.5;
/** Formatted bytes that start a write at once instead of waiting for the flush interval. */
const EAGER_WRITE_BYTES = 256 * 1024;
/** Lines are encoded into buffers of this size (a bigger one for a line that does not fit). */
const CHUNK_BYTES = 64 * 1024;
/** One write covers queued chunks of one file up to this many bytes / buffers. */
const MAX_WRITE_BYTES = 1024 * 1024;
const MAX_WRITE_BUFFERS = 256;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/**
 * How log files are opened: append, create 0600, and O_NOFOLLOW (a log file planted as a
 * symlink is refused, not followed: what people said never lands in a file elsewhere) and
 * O_NONBLOCK (opening a FIFO planted under the name fails or returns at once instead of holding
 * a thread-pool thread; it is then refused as not a regular file). O_NONBLOCK does nothing to
 * regular files.
 */
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Owns the JSONL files: buffering, batching, daily/hourly rotation, modes, and recovery.
 *
 * - `write()` is O(1) on the caller's path: it only pushes the record. Formatting happens
 *   on the next turn of the event loop, in passes of at most FORMAT_BUDGET_MS, so records
 *   die young (a record waiting for a 200 ms timer outlives several scavenges: that copying
 *   was most of the event-loop delay under load; docs/performance.md). Bytes are written
 *   once the flush interval passes, or at once when EAGER_WRITE_BYTES are waiting.
 * - The file is opened for a drain of the queue and closed when the queue is empty
 *   (O_APPEND, mode 0600 on creation): a folder deleted while idle is re-created, one
 *   deleted during a drain is noticed by `nlink` 0, and several processes can append to
 *   the same daily file without tearing lines (each write is one `writev` call).
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
  private readonly stallMs: number;
  private readonly openFile: OpenFile;

  /** Records not yet formatted: `records` fills while `backlog[backlogPos..]` is being formatted. */
  private records: EventRecord[] = [];
  private backlog: EventRecord[] = [];
  private backlogPos = 0;
  /** File path of the last UTC hour seen: the name changes at most once an hour. */
  private pathHour = Number.NaN;
  private pathOfHour = '';
  private readonly queue: Chunk[] = [];
  /** The chunk lines are encoded into, not yet in the queue (its bytes count in queuedBytes). */
  private building: { path: string; buf: Buffer; len: number; lines: number } | undefined;
  private queuedBytes = 0;
  private formatScheduled = false;
  private formatWarned = false;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** The write in flight, for an exact sync finish at exit. */
  private current: InFlight | undefined;
  /** The file open during a drain of the queue. */
  private handle: { path: string; fh: AppendHandle } | undefined;
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
    const warn = options.warn ?? warnStderr;
    // Warnings are given on the writer's own event-loop turns: a warn function that throws
    // would be an uncaught exception in the app.
    this.warn = (message) => {
      try {
        warn(message);
      } catch {
        // nothing sensible left to do with it
      }
    };
    this.stallMs = options.stallMs ?? 5000;
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
    if (!this.formatScheduled) {
      this.formatScheduled = true;
      setImmediate(this.formatPass);
    }
  }

  /** Formats what was logged, for at most FORMAT_BUDGET_MS, then lets the bytes be written. */
  private readonly formatPass = (): void => {
    this.formatScheduled = false;
    if (this.closed) return;
    const start = performance.now();
    while (this.unformatted() > 0) {
      this.formatSlice();
      if (performance.now() - start >= FORMAT_BUDGET_MS) break;
    }
    if (this.unformatted() > 0) {
      this.formatScheduled = true;
      setImmediate(this.formatPass);
    }
    // While the folder is unusable, retries keep their interval. A drain already running
    // takes the new bytes; the timer is the backstop for one that is just finishing.
    if (this.queuedBytes >= EAGER_WRITE_BYTES && !this.failing && !this.draining) this.kick();
    else this.scheduleRetry();
  };

  /** Resolves when everything written before the call is on disk (or one retry has failed). */
  async flush(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      this.kick();
      await this.draining;
      if (!this.hasPending()) return;
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
    this.seal();
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
      this.seal();
      const flight = this.current;
      if (flight && this.queue.includes(flight.chunks[0]!)) {
        // preSize is known once the async write was issued: a thread-pool thread may be writing
        // the chunks right now, and it keeps running while this handler does. Wait (bounded) for
        // the file to grow by them before deciding what is left, or they land twice.
        const { path, chunks, length, preSize } = flight;
        const done = preSize === undefined ? 0 : writtenSince(path, preSize, length, EXIT_WAIT_MS);
        this.writeSyncTo(path, Buffer.concat(chunks.map((c) => c.data)).subarray(done));
        for (const c of chunks) this.remove(c);
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
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS, FILE_MODE);
    } catch (err) {
      throw refusedOpen(path, err);
    }
    try {
      if (!fstatSync(fd).isFile()) throw notRegular(path);
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
        if (this.hasPending()) this.scheduleRetry();
      });
  }

  private scheduleRetry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.queue.length === 0) {
          if (this.building !== undefined && this.building.len > 0) this.seal();
          else if (this.unformatted() > 0) this.formatSlice();
          else return;
          continue;
        }
        const ok = await this.writeNext(); // dequeues the chunks once they are written
        if (!ok) {
          // Everything waits in the queue, now bounded; retried after an interval.
          this.formatPending();
          this.enforceBound();
          return;
        }
        if (this.droppedUnreported > 0 && this.queue.length === 0) this.reportDropped();
      }
    } finally {
      await this.closeHandle();
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

  /** Anything not yet on disk: records, the chunk being built, queued chunks. */
  private hasPending(): boolean {
    return this.unformatted() > 0 || this.queuedBytes > 0;
  }

  private unformatted(): number {
    return this.records.length + this.backlog.length - this.backlogPos;
  }

  /** Every file name is within one UTC hour (daily and hourly rotation alike), so it is computed once an hour. */
  private pathFor(us: number): string {
    const hour = Math.floor(us / 3_600_000_000);
    if (hour !== this.pathHour) {
      this.pathHour = hour;
      this.pathOfHour = join(this.dir, fileNameFor(hour * 3_600_000_000, this.rotation));
    }
    return this.pathOfHour;
  }

  /** Encodes at most one slice of records into the chunk being built. */
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
        this.append(backlog[i]!);
      } catch (err) {
        // Cannot happen with records from our API; whatever it was, it must not stop the
        // writer or reach the app (this runs on its own turn of the event loop). Counted.
        this.droppedLines++;
        this.droppedUnreported++;
        if (!this.formatWarned) this.warn(`an event could not be formatted and was dropped (said once): ${describe(err)}`);
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

  /** Encodes one line into the chunk being built for its file. */
  private append(r: EventRecord): void {
    const path = this.pathFor(r.timestampUs);
    let b = this.building;
    if (b !== undefined && b.path !== path) {
      this.seal(); // a line for another file (the hour or day changed)
      b = this.building;
      if (b !== undefined) b.path = path; // emptied and kept for reuse
    }
    if (b === undefined) b = this.building = { path, buf: Buffer.allocUnsafe(CHUNK_BYTES), len: 0, lines: 0 };
    let end = encodeLine(r, b.buf, b.len);
    if (end < 0) {
      // Full (or one very long line): queue what it holds, continue in a new buffer.
      this.seal();
      b = this.building = { path, buf: Buffer.allocUnsafe(Math.max(CHUNK_BYTES, -end)), len: 0, lines: 0 };
      end = encodeLine(r, b.buf, 0);
    }
    this.queuedBytes += end - b.len;
    b.len = end;
    b.lines++;
  }

  /**
   * Moves the chunk being built to the queue. A buffer less than 90% full (a trickle of events,
   * the end of a burst) is copied out and reused, so the memory the queue holds stays within
   * ~10% of what its byte count (and so the memory bound) says.
   */
  private seal(): void {
    const b = this.building;
    if (b === undefined || b.len === 0) return;
    const chunk = { path: b.path, data: b.buf.subarray(0, b.len), lines: b.lines };
    if (b.len < b.buf.length * 0.9) {
      chunk.data = Buffer.from(chunk.data);
      b.len = 0;
      b.lines = 0;
    } else this.building = undefined;
    this.queue.push(chunk);
  }

  /** While writing fails, drops the oldest unwritten chunks (never those in flight) when memory is over the bound. */
  private enforceBound(): void {
    if (this.failing === undefined || this.queuedBytes <= this.maxBufferedBytes) return; // a burst faster than the disk waits
    this.seal();
    const inFlight = this.current?.chunks.length ?? 0;
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
    this.append({ timestampUs: now, eventType: 'EVENT_LOG_DROPPED', sessionId: null, data: { count, total: this.droppedLines } });
  }

  /** Writes the chunks at the front of the queue that belong to one file, in one `writev`. */
  private async writeNext(): Promise<boolean> {
    const first = this.queue[0]!;
    const flight: InFlight = { path: first.path, chunks: [first], length: first.data.length, preSize: undefined };
    for (let i = 1; i < this.queue.length && flight.chunks.length < MAX_WRITE_BUFFERS; i++) {
      const next = this.queue[i]!;
      if (next.path !== flight.path || flight.length + next.data.length > MAX_WRITE_BYTES) break;
      flight.chunks.push(next);
      flight.length += next.data.length;
    }
    this.current = flight;
    const watchdog = setTimeout(() => this.stalled(flight), this.stallMs);
    watchdog.unref();
    try {
      const { fh, size } = await this.openFor(flight.path);
      flight.preSize = size;
      try {
        // One writev() per call (O_APPEND): other processes' lines never land inside ours.
        await writeAll(fh, flight.chunks.map((c) => c.data), flight.length);
        // Written: off the queue at once, so an exit right after cannot write them twice.
        for (const c of flight.chunks) this.remove(c);
        this.current = undefined;
      } catch (err) {
        // Never leave a torn line behind: cut the file back to where this write began.
        await fh.truncate(size).catch(() => undefined);
        throw err;
      }
      if (this.failing) {
        this.failing = undefined;
        this.warn(`writing events to ${this.dir} works again`);
      }
      return true;
    } catch (err) {
      this.dirReady = false;
      await this.closeHandle();
      const reason = describe(err);
      if (this.failing !== reason) {
        this.failing = reason;
        this.warn(`cannot write events to ${flight.path}: ${reason}; keeping them in memory and retrying`);
      }
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
    this.warn(`writing events to ${flight.path} has not finished after ${this.stallMs} ms; keeping new events in memory (bounded)`);
    this.enforceBound();
  }

  /** The open file for `path` and its size now; reopened when the path changed or the file was removed. */
  private async openFor(path: string): Promise<{ fh: AppendHandle; size: number }> {
    for (let attempt = 0; ; attempt++) {
      let fresh = false;
      if (this.handle?.path !== path) {
        await this.closeHandle();
        this.handle = { path, fh: await this.open(path) };
        fresh = true;
      }
      const st = await this.handle.fh.stat();
      if (fresh) await this.checkOpened(path, this.handle.fh, st);
      if (st.nlink !== 0 || attempt > 0) return { fh: this.handle.fh, size: st.size };
      await this.closeHandle(); // removed while open (folder deleted mid-drain): writing there would lose the lines
    }
  }

  private async open(path: string): Promise<AppendHandle> {
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      this.dirReady = true;
      await this.checkFolderMode();
    }
    try {
      try {
        return await this.openFile(path, OPEN_FLAGS, FILE_MODE);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The folder vanished while we ran: make it again once.
        await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
        return await this.openFile(path, OPEN_FLAGS, FILE_MODE);
      }
    } catch (err) {
      throw refusedOpen(path, err);
    }
  }

  private readonly modeWarned = new Set<string>();

  /**
   * A file just opened: only a regular file is written (a FIFO, socket or device under the
   * log's name is refused: the write fails like any other, warned once, events kept in memory
   * within the bound and counted if dropped); a pre-existing file others can read is set to
   * 0600 (fchmod on the open handle, so it is the file we write), or warned about once.
   */
  private async checkOpened(path: string, fh: AppendHandle, st: { mode?: number; isFile?(): boolean }): Promise<void> {
    if (st.isFile && !st.isFile()) {
      await this.closeHandle();
      throw notRegular(path);
    }
    const mode = st.mode === undefined ? 0 : st.mode & 0o777;
    if ((mode & 0o077) === 0 || this.modeWarned.has(path)) return;
    this.modeWarned.add(path);
    const was = mode.toString(8).padStart(4, '0');
    try {
      if (!fh.chmod) throw new Error('chmod not available');
      await fh.chmod(FILE_MODE);
      this.warn(`event log file ${path} had mode ${was} (other users could read what people said); set it to 0600`);
    } catch (err) {
      this.warn(`event log file ${path} has mode ${was} and could not be set to 0600 (${describe(err)}): other users can read what people said`);
    }
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.fh.close().catch(() => undefined);
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

/** Writes all of `buffers` (`length` bytes) through `writev`, continuing after a partial write. */
async function writeAll(fh: AppendHandle, buffers: Buffer[], length: number): Promise<void> {
  let done = (await fh.writev(buffers)).bytesWritten;
  while (done < length) {
    const rest: Buffer[] = [];
    let skip = done;
    for (const b of buffers) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    const n = (await fh.writev(rest)).bytesWritten;
    if (n <= 0) throw new Error(`write made no progress (${done} of ${length} bytes written)`);
    done += n;
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

/** An error naming why a log file was refused (symlink, not a regular file), with its errno code. */
function refusedOpen(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ELOOP') return Object.assign(new Error(`${path} is a symbolic link; it is not followed`), { code });
  if (code === 'ENXIO') return notRegular(path); // a FIFO without a reader (O_NONBLOCK), a socket
  return err;
}

function notRegular(path: string): Error {
  return new Error(`${path} is not a regular file; nothing is written to it`);
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
