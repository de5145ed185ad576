import { createReadStream, readFileSync, type ReadStream } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { open } from 'node:fs/promises';
import { describeOpenError, READ_FLAGS, STREAM_READ_FLAGS } from 'voicemode-events/internal';
import { constants as zc, createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { SourceFile } from './discover.js';
import { DataError } from './errors.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './line-splitter.js';
import type { LinePrefilter } from './line-prefilter.js';
import { CandidateLines } from './candidate-lines.js';
import { ParseWorkerPool, type ParseWorker } from './parse-worker-pool.js';
import { isBlank, parseLine, type FileEvent, type UsageFigures } from './parse-line.js';
import { DATA_NUMBERS, KIND_BITS, labelsOfKey, METRICS_NUMBERS, NUM_STRIDE, STRIDE, USAGE_STRIDE, valueOfKind, type WorkerMessage } from './worker-protocol.js';

type BatchMessage = Extract<WorkerMessage, { kind: 'batch' }>;

/** `a` with at least `n` entries, the new ones undefined. */
function roomFor<T>(a: (T | undefined)[], n: number): (T | undefined)[] {
  while (a.length < n) a.push(undefined);
  return a;
}

/** Sets back to undefined the entries of `a` named by the first number of each `stride` of `entries` (`count` of them). */
function clearAt<T>(a: (T | undefined)[], entries: Float64Array, count: number, stride: number): void {
  for (let j = 0; j < count; j++) a[entries[j * stride]!] = undefined;
}

/**
 * The streaming reader: every file is read in chunks (gzip through node:zlib), split into
 * lines by hand (faster than node:readline), parsed, and the files are merged by timestamp.
 * Memory is a chunk and its parsed batch per file being read, whatever the file size.
 *
 * Merge: files are taken in date order; a file is opened when the merged stream reaches the
 * time of its first event, so days that do not overlap are read one after the other and
 * files that overlap (a session across midnight, the same day from two folders) interleave
 * by timestamp. Inside one file, lines are passed on in file order (they may be slightly out
 * of order; `SessionSorter` puts each session in time order).
 */
export interface ReadOptions {
  /** Keep each line's original text on the event (`query`). */
  keepRaw?: boolean;
  /** Called for each malformed line (file index, 1-based line number; `long` for a line over `maxLineBytes`). */
  onSkip?: (file: number, line: number, long?: boolean) => void;
  /**
   * Lines longer than this many bytes are skipped and counted (in `skippedLines` and
   * `longLines`) without being held in memory. Default 8 MiB (DEFAULT_MAX_LINE_BYTES): our
   * lines are at most a few hundred KiB (data is bounded when logged).
   */
  maxLineBytes?: number;
  /** Called with the number of input bytes (compressed for .gz) read so far across files. */
  onProgress?: (bytesRead: number) => void;
  /** Awaited after each chunk: lets a consumer apply back-pressure (stdout) or stop. */
  afterChunk?: () => Promise<void> | void;
  /**
   * Parse in worker threads (kept from file to file: parse-worker-pool.ts) and hand over only what the metrics
   * need: `data` then holds just provider/model/voice/transport (and the numbers of the types
   * numbersRule() of worker-protocol.ts names). Same malformed-line rule, the same values.
   * Used by summary, anomalies and report; leaves the main thread to the derivation.
   */
  compact?: boolean;
  /** Parse workers per plain file in compact mode (default: `defaultParseWorkers()` at each file's start). */
  parseWorkers?: number;
  /**
   * Compact mode: the pool to take parse workers from (startParseWorkers: started before the
   * read). The read closes it at its end, as it does the pool it makes without this.
   */
  pool?: ParseWorkerPool | undefined;
  /** Strings a parse worker's table holds before it starts afresh (default 8192; for tests). */
  workerTableReset?: number;
  /**
   * A file that cannot be read to its end (a truncated or corrupt .gz, a read error): without
   * this callback the read fails with a DataError; with it, the file's events read so far are
   * kept, the rest of it is skipped, the callback gets the message, `unreadableFiles` counts
   * it, and the other files are read.
   */
  onFileError?: (file: number, message: string) => void;
  /**
   * In-thread reader only, and only without `onSkip`: lines that cannot match the caller's
   * filter (line-prefilter.ts) are not looked at (candidate-lines.ts). `events` and
   * `skippedLines` then count the lines that were looked at, `prefiltered` says so, and events
   * carry line number 0 (lines are not counted). With `onSkip` every line is parsed, so that
   * every malformed line is reported with its number.
   */
  prefilter?: LinePrefilter | undefined;
}

export interface ReadStats {
  files: number;
  /** Well-formed events read (before any filter). */
  events: number;
  skippedLines: number;
  /** Of the skipped lines, those longer than `maxLineBytes`. */
  longLines: number;
  /** Files given up part-way (see ReadOptions.onFileError). */
  unreadableFiles: number;
  /** Lines read with NaN / Infinity / -Infinity taken as null (parse-line.ts). */
  nonFiniteLines: number;
  /** Lines that could not match were not looked at (ReadOptions.prefilter): events and skippedLines cover the others. */
  prefiltered: boolean;
  bytes: number;
  /** Bytes the parse workers' stage 1 (WebAssembly SIMD, reader/special-bytes.ts) marked: 0 without it. A diagnostic (same events either way). */
  markedBytes: number;
  /** Parse worker threads started (compact mode; 0 in-thread): they serve file after file (parse-worker-pool.ts). A diagnostic. */
  parseWorkers: number;
}

/** The time of the first well-formed line in the file's first 64 KiB (cheap; no stream opened). */
async function peekFirstUs(file: SourceFile, index: number): Promise<number> {
    const fh = await open(file.path, READ_FLAGS);
    let buf: Buffer;
    try {
      const b = Buffer.allocUnsafe(PEEK_BYTES);
      const { bytesRead } = await fh.read(b, 0, PEEK_BYTES, 0);
      buf = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    if (file.gz) {
      try {
        buf = gunzipSync(buf, { finishFlush: zc.Z_SYNC_FLUSH });
      } catch {
        return Number.NEGATIVE_INFINITY; // corrupt: reported when the file is read
      }
    }
    // line by line, up to the first good one (not the whole peek decoded and split: a folder of
    // years of small daily files made that most of the start-up); a last line without its `\n`
    // may be cut by the peek: not looked at
    for (let p = 0, nl = buf.indexOf(10); nl >= 0; p = nl + 1, nl = buf.indexOf(10, p)) {
      const l = buf.toString('utf8', p, nl);
      if (isBlank(l)) continue;
      const ev = parseLine(l, index, 0);
      if (ev) return ev.timestampUs;
    }
    return Number.NEGATIVE_INFINITY;
}

/**
 * Files peeked at the same time. A folder of years of daily files must not open them all at
 * once: past the descriptor limit (`ulimit -n`: 1024 on Linux, 256 on macOS by default) every
 * other file failed with EMFILE and was skipped, and each peek holds a 64 KiB buffer (3,000
 * files: 283 MB peak RSS). A few at a time keep the disk busy enough: the peeks are small reads.
 */
const PEEK_AT_ONCE = 8;

/** Every cursor's `peek()`, PEEK_AT_ONCE at a time; a failure is left for the read to report. */
async function peekAll(cursors: readonly Cursor[]): Promise<void> {
  let next = 0;
  const peeker = async (): Promise<void> => {
    while (next < cursors.length) await cursors[next++]!.peek().catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(PEEK_AT_ONCE, cursors.length) }, peeker));
}

const CHUNK = 1 << 20;
const PEEK_BYTES = 64 * 1024;

/** One file being read: a batch of events at a time, in file order. */
abstract class Cursor {
  batch: FileEvent[] = [];
  pos = 0;
  /** Time of the file's first event, to merge files by time. */
  firstUs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly file: SourceFile,
    readonly index: number,
    protected readonly opts: ReadOptions,
    protected readonly stats: ReadStats,
  ) {}

  async peek(): Promise<void> {
    this.firstUs = await peekFirstUs(this.file, this.index);
  }

  abstract fill(): Promise<boolean>;
  abstract close(): void;
}

/**
 * Reads one file through parse worker threads (parse-worker.ts, from the read's
 * ParseWorkerPool); see ReadOptions.compact.
 * A plain file is cut into 1 MiB chunks dealt out round-robin to `workers` threads; their
 * batches are taken back in chunk order, so events come in file order and line numbers are
 * the file's, exactly as with one worker. A gzip file has one worker.
 */
class WorkerCursor extends Cursor {
  private workers: ParseWorker[] | undefined;
  /** Index of the next chunk (its worker is chunk % workers). */
  private chunk = 0;
  /** Lines of the chunks taken so far. */
  private lineOffset = 0;
  private done = false;
  /**
   * `take`'s per-event data with numbers and usage figures, by index in the batch: undefined
   * between batches, reused (never a new array in another elements kind: its reads deoptimised).
   */
  private readonly numberedAt: (Record<string, unknown> | undefined)[] = [];
  private readonly figuresAt: (UsageFigures | undefined)[] = [];
  /** The same for the turns that crossed aside (worker-protocol.ts TURN_ASIDE). */
  private readonly turnsAt: (number | undefined)[] = [];
  private static readonly labelCache = new Map<string, Record<string, unknown>>();

  constructor(file: SourceFile, index: number, opts: ReadOptions, stats: ReadStats, private readonly pool: ParseWorkerPool) {
    super(file, index, opts, stats);
  }

  private async start(): Promise<ParseWorker[]> {
    const n = workersFor(this.file, this.opts.parseWorkers ?? defaultParseWorkers());
    const out: ParseWorker[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        await this.pool.start({
          path: this.file.path,
          gz: this.file.gz,
          file: this.index,
          chunkBytes: CHUNK,
          maxInFlight: 3,
          index: i,
          workers: n,
          size: this.file.size,
          tableReset: this.opts.workerTableReset,
          maxLineBytes: this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        }),
      );
    }
    return out;
  }

  private static labels(key: string): Record<string, unknown> {
    let d = WorkerCursor.labelCache.get(key);
    if (d === undefined) {
      // one object per label set; a file of ever new label sets must not keep them all
      if (WorkerCursor.labelCache.size >= 8192) WorkerCursor.labelCache.clear();
      d = labelsOfKey(key);
      WorkerCursor.labelCache.set(key, d);
    }
    return d;
  }

  async fill(): Promise<boolean> {
    this.batch = [];
    this.pos = 0;
    while (!this.done && this.batch.length === 0) {
      this.workers ??= await this.start();
      const pw = this.workers[this.chunk % this.workers.length]!;
      const m = await ParseWorkerPool.next(pw);
      if (m.kind === 'error') {
        this.close();
        throw new DataError(this.file.gz ? `corrupt gzip file ${this.file.path}: ${m.message}` : `cannot read ${this.file.path}: ${m.message}`);
      }
      this.stats.bytes += m.bytes;
      if (m.kind === 'end') {
        // the worker of the next chunk has no more: there is no next chunk
        this.done = true;
        this.close();
        break;
      }
      this.chunk++;
      pw.worker.postMessage('ack');
      this.batch = this.take(pw, m);
    }
    return this.batch.length > 0;
  }

  /**
   * A batch's events as objects: the work of `fill()`, kept out of the async function. V8
   * optimises it after the first batches; a path first taken after that (a table reset, a
   * skipped line, another writer's numbers) throws the optimised code away and compiles it
   * again (~10-50 ms of a compiler thread each time). So the rare parts are functions called on
   * every batch, whatever they find to do: their call sites always have type feedback.
   */
  private take(pw: ParseWorker, m: BatchMessage): FileEvent[] {
    WorkerCursor.resetTable(pw, m.reset);
    const table = pw.table;
    for (const s of m.fresh) table.push(s);
    const lineOffset = this.lineOffset;
    this.lineOffset += m.lines;
    this.skippedLines(m, lineOffset);
    const empty: Record<string, unknown> = {};
    // Every field of an event is stored once, in the literal (a field stored again later
    // becomes mutable, a changed one generalised, and V8 throws away the code built for the old
    // layout), and the loop has no branch first taken late: the few events with numbers or
    // usage figures get theirs from arrays filled first.
    const numbered = WorkerCursor.numbered(pw, m, empty, roomFor(this.numberedAt, m.n));
    const figures = WorkerCursor.figures(m, roomFor(this.figuresAt, m.n));
    const turns = WorkerCursor.turnsAside(m, roomFor(this.turnsAt, m.n));
    const out = WorkerCursor.events(pw, m, numbered, figures, turns, empty, this.index, lineOffset);
    clearAt(numbered, m.nums, m.numsN, NUM_STRIDE);
    clearAt(figures, m.usage, m.usageN, USAGE_STRIDE);
    for (let j = 0; j < m.turns.length; j += 2) turns[m.turns[j]!] = undefined;
    this.stats.events += m.n;
    this.stats.markedBytes += m.marked;
    this.stats.nonFiniteLines += m.nonFinite;
    return out;
  }

  /**
   * The loop of `take`, alone in its function: V8 compiles a long loop on its first run (OSR)
   * with the feedback gathered so far, and code after the loop that had never run yet (the first
   * batch) sent that code back to the interpreter at the end of every batch.
   */
  private static events(
    pw: ParseWorker,
    m: BatchMessage,
    numbered: readonly (Record<string, unknown> | undefined)[],
    figures: readonly (UsageFigures | undefined)[],
    turns: readonly (number | undefined)[],
    empty: Record<string, unknown>,
    file: number,
    lineOffset: number,
  ): FileEvent[] {
    const { ts, ints, spans, n } = m;
    const table = pw.table;
    const out: FileEvent[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const o = k * STRIDE;
      const sid = ints[o + 1]!;
      const turn = ints[o + 2]!;
      const span = ints[o + 3]!;
      const data = numbered[k] ?? WorkerCursor.labelsAt(pw, ints[o + 4]!, empty);
      out[k] = {
        timestampUs: ts[k]!,
        eventType: table[ints[o]!]!,
        sessionId: sid < 0 ? null : table[sid]!,
        data,
        traceId: undefined,
        spanId: span < 0 ? undefined : spans[span],
        // -1: none; TURN_ASIDE: from `turns` (undefined for every other index)
        turn: turn >= 0 ? turn : turns[k],
        file,
        line: lineOffset + ints[o + 5]!,
        raw: undefined,
        // present on every event: one object shape for the consumers
        usage: figures[k],
      };
    }
    return out;
  }

  /** The worker's string table starts afresh with this batch (`reset`): emptied in place (new arrays would start in another elements kind: `take` deoptimised). */
  private static resetTable(pw: ParseWorker, reset: boolean): void {
    // stored on every batch, not behind a branch: inlined into `take`, a store first made
    // after optimisation (a reset comes every few batches) deoptimised it
    pw.table.length = reset ? 0 : pw.table.length;
    pw.labelObjs.length = reset ? 0 : pw.labelObjs.length;
  }

  private skippedLines(m: BatchMessage, lineOffset: number): void {
    for (const line of m.skipped) {
      this.stats.skippedLines++;
      this.opts.onSkip?.(this.index, lineOffset + line);
    }
    for (const line of m.long) {
      this.stats.skippedLines++;
      this.stats.longLines++;
      this.opts.onSkip?.(this.index, lineOffset + line, true);
    }
  }

  /** The labels of label-set entry `lab` of the worker's table (`empty` for -1), one object per entry. */
  private static labelsAt(pw: ParseWorker, lab: number, empty: Record<string, unknown>): Record<string, unknown> {
    return lab < 0 ? empty : (pw.labelObjs[lab] ??= WorkerCursor.labels(pw.table[lab]!));
  }

  /** The data of each event with numbers the analysis reads (DATA_NUMBERS, METRICS_NUMBERS), by its index in the batch. */
  private static numbered(pw: ParseWorker, m: BatchMessage, empty: Record<string, unknown>, out: (Record<string, unknown> | undefined)[]): (Record<string, unknown> | undefined)[] {
    const { nums, numsN, ints } = m;
    for (let j = 0; j < numsN; j++) {
      let o = j * NUM_STRIDE;
      const k = nums[o++]!;
      const data: Record<string, unknown> = { ...WorkerCursor.labelsAt(pw, ints[k * STRIDE + 4]!, empty) };
      const kinds = nums[o++]!;
      let b = 0; // the key's place in `kinds`
      for (const key of DATA_NUMBERS) {
        const kind = (kinds >>> (KIND_BITS * b++)) & 7;
        const v = nums[o++]!;
        if (kind !== 0) data[key] = valueOfKind(kind, v);
      }
      let metrics: Record<string, unknown> | undefined;
      for (const key of METRICS_NUMBERS) {
        const kind = (kinds >>> (KIND_BITS * b++)) & 7;
        const v = nums[o++]!;
        if (kind !== 0) (metrics ??= {})[key] = valueOfKind(kind, v);
      }
      if (metrics !== undefined) data.metrics = metrics;
      out[k] = data;
    }
    return out;
  }

  /** The turns that crossed aside (TURN_ASIDE), by the event's index in the batch. */
  private static turnsAside(m: BatchMessage, out: (number | undefined)[]): (number | undefined)[] {
    const t = m.turns;
    for (let j = 0; j < t.length; j += 2) out[t[j]!] = t[j + 1];
    return out;
  }

  /**
   * Usage figures beside data, not in it (FileEvent.usage), by the event's index in the batch:
   * one object shape for all of them, every field a number (NaN where the line has none: a
   * field `undefined` on the first events and a number later is generalised after V8 optimised
   * the code that builds and reads these objects).
   */
  private static figures(m: BatchMessage, out: (UsageFigures | undefined)[]): (UsageFigures | undefined)[] {
    const { usage, usageN } = m;
    for (let j = 0; j < usageN; j++) {
      const o = j * USAGE_STRIDE;
      out[usage[o]!] = { characters: usage[o + 1]!, audio_s: usage[o + 2]!, input_tokens: usage[o + 3]!, output_tokens: usage[o + 4]! };
    }
    return out;
  }

  close(): void {
    if (this.workers) {
      // read to its end: the workers stay in the pool for the next file
      for (const pw of this.workers) this.pool.release(pw, this.done);
      this.workers = undefined;
    }
  }
}

/**
 * Parse workers per file: one thread per free core, the main thread (the analysis) counting as
 * one. So two workers only when about three cores are free; on a 2-core machine one worker.
 * Measured on 2 cores (issue 14, round 3): a second worker cut `summary`'s wall time on 1M
 * events by ~4% (1.64 -> 1.58 s) for ~6% more CPU (2.42 -> 2.57 CPU-s) and ~45 MB more peak
 * RSS on 10M events (one worker 169-221 MB, two 224-243 MB: the 200 MB target), and with
 * another job on one core it only competed with the main thread (~10% more CPU, no faster).
 *
 * `busy` is how many cores other work keeps busy: the smaller of the 1-minute load average
 * (lags: it still counts a job that just ended) and the threads runnable right now besides this
 * one (`procs_running` of /proc/stat: instant, but a single sample). Where neither is known,
 * nothing counts as busy.
 */
export function parseWorkersFor(cores: number, busy: number): number {
  return cores - busy >= 2.5 ? 2 : 1;
}

/** Threads runnable right now on the machine besides the caller (Linux), or undefined. */
function otherRunnable(): number | undefined {
  try {
    const m = /^procs_running (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Math.max(0, Number(m[1]) - 1) : undefined;
  } catch {
    return undefined;
  }
}

export function defaultParseWorkers(): number {
  const load = loadavg()[0] ?? 0;
  const running = otherRunnable();
  return parseWorkersFor(availableParallelism(), running === undefined ? load : Math.min(load, running));
}

/** Parse workers that read `file` at once: a gzip file has one, a plain file one per 1 MiB chunk up to `parseWorkers`. */
function workersFor(file: SourceFile, parseWorkers: number): number {
  return file.gz ? 1 : Math.max(1, Math.min(parseWorkers, Math.ceil(file.size / CHUNK)));
}

/**
 * A pool for a compact read of `files` to come (ReadOptions.pool), with as many workers already
 * started as the file that takes the most will take: a worker's start (its isolate, module load and wasm
 * compile: ~40 ms before it can read) then overlaps the caller's own work up to the read
 * (loading the analysis, peeking at the files) instead of following it (issue 14, round 6).
 * `pool` may hold workers already (one started as the process started: early-parse-worker.ts);
 * only those missing are started. The caller closes it if the read never runs; `readEvents`
 * closes it at the read's end.
 */
export function startParseWorkers(files: readonly SourceFile[], parseWorkers: number, pool = new ParseWorkerPool()): ParseWorkerPool {
  // the most any one file takes (a folder of years of files: no spread of them all as arguments)
  pool.prestart(files.reduce((n, f) => Math.max(n, workersFor(f, parseWorkers)), 0) - pool.size);
  return pool;
}

class FileCursor extends Cursor {
  done = false;
  private raw: ReadStream | undefined;
  private iter: AsyncIterator<Buffer> | undefined;
  /** Lines that cannot match are not looked at; then lines are not counted (see ReadOptions.prefilter). */
  private readonly lines =
    this.stats.prefiltered && this.opts.prefilter
      ? new CandidateLines(this.opts.prefilter, (line) => this.line(line), () => this.long(), this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
      : new LineSplitter(
          (line) => this.line(line),
          () => this.long(),
          this.opts.maxLineBytes,
        );
  /** The line number of the last line; stays 0 when lines are not counted. */
  private lineNo = 0;
  private readonly countLines = !this.stats.prefiltered;
  bytesRead = 0;

  private openStream(): void {
    this.raw = createReadStream(this.file.path, { highWaterMark: CHUNK, flags: STREAM_READ_FLAGS });
    let s: Readable = this.raw;
    if (this.file.gz) {
      const gunzip = createGunzip({ chunkSize: CHUNK });
      this.raw.on('error', (e) => gunzip.destroy(e));
      s = this.raw.pipe(gunzip);
    }
    this.iter = s[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Reads and parses the next chunk into `batch`. Returns false at the end of the file. */
  async fill(): Promise<boolean> {
    this.batch = [];
    this.pos = 0;
    while (!this.done && this.batch.length === 0) {
      if (this.iter === undefined) this.openStream();
      let r: IteratorResult<Buffer>;
      try {
        r = await this.iter!.next();
      } catch (err) {
        this.close();
        const msg = (err as Error).message ?? String(err);
        throw new DataError(this.file.gz ? `corrupt gzip file ${this.file.path}: ${msg}` : `cannot read ${this.file.path}: ${msg}`);
      }
      if (r.done) {
        this.done = true;
        this.lines.end();
      } else {
        this.lines.push(r.value);
      }
      const bytes = this.raw?.bytesRead ?? 0;
      this.stats.bytes += bytes - this.bytesRead;
      this.bytesRead = bytes;
    }
    return this.batch.length > 0;
  }

  private line(text: string): void {
    if (this.countLines) this.lineNo++;
    let line = text;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0 || isBlank(line)) return;
    const ev = parseLine(line, this.index, this.lineNo, this.opts.keepRaw === true);
    if (ev === undefined) {
      this.stats.skippedLines++;
      this.opts.onSkip?.(this.index, this.lineNo);
    } else {
      this.stats.events++;
      if (ev.nonFinite) this.stats.nonFiniteLines++;
      this.batch.push(ev);
    }
  }

  private long(): void {
    if (this.countLines) this.lineNo++;
    this.stats.skippedLines++;
    this.stats.longLines++;
    this.opts.onSkip?.(this.index, this.lineNo, true);
  }

  close(): void {
    this.raw?.destroy();
  }
}

/**
 * Reads the files and calls `onEvent` for every well-formed event, merged by timestamp
 * across files. `onEvent` returning false stops the read early (e.g. `query --limit`).
 */
export async function readEvents(
  files: readonly SourceFile[],
  onEvent: (ev: FileEvent) => boolean | void,
  opts: ReadOptions = {},
): Promise<ReadStats> {
  const stats: ReadStats = { files: files.length, events: 0, skippedLines: 0, longLines: 0, unreadableFiles: 0, nonFiniteLines: 0, prefiltered: !opts.compact && opts.prefilter !== undefined && opts.onSkip === undefined, bytes: 0, markedBytes: 0, parseWorkers: 0 };
  // the parse workers of compact mode serve file after file (parse-worker-pool.ts)
  const pool = opts.compact ? (opts.pool ?? new ParseWorkerPool()) : undefined;
  const pending: Cursor[] = files.map((f, i) => (pool ? new WorkerCursor(f, i, opts, stats, pool) : new FileCursor(f, i, opts, stats)));
  // a file that cannot even be peeked at is read first, where its error is reported
  await peekAll(pending);
  // date order first (from discovery), then by first timestamp inside the same date key
  pending.sort((a, b) => a.firstUs - b.firstUs || a.index - b.index);
  const active: Cursor[] = [];
  let stopped = false;

  /** The cursor's next batch; false at its end, or when it fails and failures are skipped (onFileError). */
  const fill = async (c: Cursor): Promise<boolean> => {
    try {
      return await c.fill();
    } catch (err) {
      c.close();
      if (!opts.onFileError) throw err instanceof DataError ? err : new DataError(describeOpenError(c.file.path, err));
      stats.unreadableFiles++;
      opts.onFileError(c.index, err instanceof DataError ? err.message : describeOpenError(c.file.path, err));
      return false;
    }
  };
  const activate = async (c: Cursor): Promise<void> => {
    if (await fill(c)) active.push(c);
    await afterChunk();
  };
  const afterChunk = async (): Promise<void> => {
    opts.onProgress?.(stats.bytes);
    if (opts.afterChunk) await opts.afterChunk();
  };

  try {
    while (!stopped) {
      if (active.length === 0) {
        const next = pending.shift();
        if (next === undefined) break;
        await activate(next);
        continue;
      }
      // the cursor with the earliest head
      let min = active[0]!;
      let second = Number.POSITIVE_INFINITY;
      for (let i = 1; i < active.length; i++) {
        const c = active[i]!;
        const t = c.batch[c.pos]!.timestampUs;
        const mt = min.batch[min.pos]!.timestampUs;
        if (t < mt) {
          second = mt;
          min = c;
        } else if (t < second) second = t;
      }
      const nextFile = pending[0];
      if (nextFile !== undefined && min.batch[min.pos]!.timestampUs >= nextFile.firstUs) {
        pending.shift();
        await activate(nextFile);
        continue;
      }
      const limit = Math.min(second, nextFile?.firstUs ?? Number.POSITIVE_INFINITY);
      // drain the earliest cursor while it stays earliest (all of it when it is the only one)
      const batch = min.batch;
      let pos = min.pos;
      const n = batch.length;
      while (pos < n) {
        const ev = batch[pos]!;
        if (ev.timestampUs > limit && pos > min.pos) break;
        pos++;
        if (onEvent(ev) === false) {
          stopped = true;
          break;
        }
      }
      min.pos = pos;
      if (stopped) break;
      if (pos >= n) {
        if (!(await fill(min))) active.splice(active.indexOf(min), 1);
        await afterChunk();
      }
    }
  } finally {
    for (const c of [...active, ...pending]) c.close();
    if (pool) {
      stats.parseWorkers = pool.spawned;
      pool.close();
    }
  }
  opts.onProgress?.(stats.bytes);
  return stats;
}
