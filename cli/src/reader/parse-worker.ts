import { createReadStream, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isMainThread, parentPort } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import { isBlank, parseLine } from './parse-line.js';
import { emptyStrings, LastLookup, StringTable } from './string-table.js';
import { SpanIds } from './span-ids.js';
import { READ_FLAGS, STREAM_READ_FLAGS } from 'voicemode-events/internal';
import { viewOf } from './byte-interner.js';
import { jsonNumber, LineScanner, SCAN_BLANK, SCAN_OK } from './scan-line.js';
import { loadSpecialBytes } from './special-bytes.js';
import { loadScanStage2, R_LINES, R_NEW_SPANS, R_ROWS, R_STOP, R_STOP_END, R_USAGE_ROWS, STOP_FULL, STOP_JS, STOP_SCANNED, type ScanStage2 } from './scan-wasm.js';
import { wasmRowsOff, wasmStage2Off } from '../environment.js';
import {
  DATA_NUMBERS,
  KIND_BITS,
  KIND_NUMBER,
  kindOf,
  labelSetKey,
  MAX_INT_TURN,
  METRICS_NUMBERS,
  NUM_STRIDE,
  NUMBERS_ALWAYS,
  NUMBERS_WITHOUT_SPAN,
  numbersRule,
  STRIDE,
  TURN_ASIDE,
  USAGE_NUMBERS,
  USAGE_STRIDE,
  USAGE_TYPES,
  type WorkerInput,
  type WorkerJob,
  type WorkerMessage,
} from './worker-protocol.js';

/** The value of an own key, or undefined (data comes from the input: no inherited members). */
function own(from: unknown, key: string): unknown {
  return typeof from === 'object' && from !== null ? Object.getOwnPropertyDescriptor(from, key)?.value : undefined;
}


/**
 * Worker thread of the compact reader (summary, anomalies, report). It reads raw bytes (no
 * UTF-8 decoding of whole chunks), splits lines, and checks each line with the validating
 * byte scanner of scan-line.ts; any line the scanner is not sure about (malformed, escapes in
 * needed fields, ...) goes through the reference path, `parseLine` (JSON.parse and the
 * malformed-line rule), so the outcome is the in-thread reader's, line for line.
 *
 * Results go to the main thread in columns (typed arrays, transferred) with string tables:
 * event types, session ids and label sets are sent once per worker and then referred to by
 * number; span ids per batch. At most a few batches are in flight (credit-based), so memory
 * stays bounded when the main thread is slower.
 *
 * A worker reads one file at a time and then waits for the next (parse-worker-pool.ts): its
 * module load, wasm compile and V8's optimised code serve every file of the run.
 *
 * With stage 2 in WebAssembly, most rows are not written here: the module scans a run of lines
 * and writes the row of each line it can finish alone (Batch.runLines); this code finishes the
 * lines it stops at (new strings, numbers to parse, odd forms) as before, from its results.
 */
/** The file being read now (its job). */
let input: WorkerInput;
const port = parentPort as NonNullable<typeof parentPort>;
let credits = 0;
let wake: (() => void) | undefined;
if (!isMainThread) {
  port.on('message', (m: string | WorkerJob) => {
    if (m === 'ack') {
      credits++;
      wake?.();
    } else if (m === 'stop') process.exit(0);
    else if (typeof m === 'object' && m.kind === 'job') void run(m.input);
  });
}

const scanner = new LineScanner();
/** Stage 1 in WebAssembly SIMD, when it loads (else the scanner tests every byte itself: same answers). */
const special = loadSpecialBytes();
/** Stage 2 in WebAssembly over stage 1's memory, when it loads (else LineScanner's own JavaScript: same answers). */
const stage2 = special === undefined || wasmStage2Off() ? undefined : loadScanStage2(special);
/** Stage 2 also writes the batch rows of the lines it can finish alone (Batch.runLines); off: one call per line, as in round 7. */
const rowsWanted = stage2 !== undefined && !wasmRowsOff();

/** Bytes marked since the last batch was posted (its `marked`). */
let markedBytes = 0;

/** Marks `buf`'s special bytes for the scans of its lines (a no-op without stage 1). */
function mark(buf: Buffer): void {
  if (special === undefined) return;
  const marks = special.index(buf);
  scanner.useMarks(marks === null ? null : buf, marks, stage2 ?? null);
  stage2?.refreshViews(); // the memory may have grown: the rows' views with it
  if (marks !== null) markedBytes += buf.length;
}

/**
 * The worker's string table (types, sessions, label sets): each string is sent once, until the
 * table holds TABLE_RESET strings; it is then started afresh at the next batch (flagged `reset`),
 * so neither this table nor the reader's copy grows with the number of sessions in the file.
 */
const table = new StringTable(9); // small: its first growth comes early (ByteInterner.id)
/** Span ids: per batch (in stage 2's memory while it writes the rows). */
const spans = new SpanIds();
const lastSession = new LastLookup(table);
/** A label set's bytes (worker-protocol.ts labelSetKey), for the table lookup. */
let labelScratch = Buffer.allocUnsafe(256);
let labelView = viewOf(labelScratch);

/**
 * The label set of a fast-path line as labelSetKey writes it: per label `-` (absent or not a
 * string) or its length in decimal, `:` and its bytes (ASCII: the scanner sends labels with an
 * escape or a non-ASCII byte to the reference path, so a byte is a UTF-16 unit).
 */
function labelId(buf: Buffer, l: Int32Array): number {
  let n = 0;
  for (let j = 0; j < 8; j += 2) {
    const s = l[j]!;
    const len = s < 0 ? 0 : l[j + 1]! - s;
    if (n + len + 12 > labelScratch.length) {
      const b = Buffer.allocUnsafe((n + len + 12) * 2);
      labelScratch.copy(b, 0, 0, n);
      labelScratch = b;
      labelView = viewOf(b);
    }
    if (s < 0) {
      labelScratch[n++] = 45; // -
      continue;
    }
    // the length's digits (labels are short: one or two)
    if (len < 10) labelScratch[n++] = 48 + len;
    else if (len < 100) {
      labelScratch[n++] = 48 + ((len / 10) | 0);
      labelScratch[n++] = 48 + (len % 10);
    } else n += labelScratch.write(String(len), n, 'latin1');
    labelScratch[n++] = 58; // :
    // labels are a few bytes: a loop costs less than Buffer#copy's call into C++
    for (let i = 0; i < len; i++) labelScratch[n + i] = buf[s + i]!;
    n += len;
  }
  return table.fromBytes(labelScratch, 0, n, labelView);
}

/**
 * numbersRule() of each event type by its id in `table` (0: not looked up yet), so that a line
 * costs one array read, not a string: emptied with the table.
 */
let ruleOfId = new Uint8Array(256);

/** numbersRule() of the type `buf[s, e)` whose table id is `id`. */
function ruleOf(id: number, buf: Buffer, s: number, e: number): number {
  if (id >= ruleOfId.length) {
    const bigger = new Uint8Array(Math.max(id + 1, ruleOfId.length * 2));
    bigger.set(ruleOfId);
    ruleOfId = bigger;
  }
  const r = ruleOfId[id]!;
  if (r !== 0) return r;
  const rule = (ruleOfId[id] = numbersRule(buf.toString('latin1', s, e)));
  stage2?.setRule(id, rule); // the rows stage 2 writes need it
  return rule;
}

/** `a`, or a copy twice its size when it has fewer than `need` elements. */
function room(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (a.length >= need) return a;
  const bigger = new Float64Array(Math.max(need, a.length * 2));
  bigger.set(a);
  return bigger;
}

/** One batch being built (one chunk of the file). */
class Batch {
  ts: Float64Array;
  ints: Int32Array;
  n = 0;
  lines = 0;
  readonly skipped: number[] = [];
  readonly long: number[] = [];
  nums = new Float64Array(NUM_STRIDE * 16);
  numsN = 0;
  usage: Float64Array<ArrayBuffer>;
  usageN = 0;
  nonFinite = 0;
  /** Turns that do not fit `ints` (worker-protocol.ts TURN_ASIDE): index, turn. */
  readonly turns: number[] = [];
  /** The string table was started afresh for this batch. */
  readonly reset: boolean;
  /**
   * Stage 2 writes this batch's rows (runLines) and keeps its span ids: every row, the JS's too,
   * is then written to stage 2's rows region (a row `n - flushed`) and copied into `ts`/`ints`
   * in bulk (`flush`) when the region is full and before the batch is posted.
   */
  rowsOn: boolean;
  /** Rows already copied from stage 2's region into `ts`/`ints`. */
  private flushed = 0;
  /** The arrays and the index where the last `slot()` goes. */
  private wTs: Float64Array;
  private wInts: Int32Array;
  private wAt = 0;
  /** Why the last `rows` call stopped, and that line's end (STOP_SCANNED). */
  private stop = 0;
  private stopEnd = -1;

  constructor(bytes: number) {
    this.reset = table.count >= (input.tableReset ?? 8192);
    if (this.reset) {
      table.reset();
      ruleOfId.fill(0);
      stage2?.forget(); // its cache of the table's ids and the types' rules
    }
    this.rowsOn = rowsWanted && !stage2!.failed;
    spans.reset(this.rowsOn ? stage2! : null);
    const cap = (bytes >> 7) + 16;
    this.ts = new Float64Array(cap);
    this.ints = new Int32Array(cap * STRIDE);
    // about one usage event per KiB of our lines (TTS_START, STT_START, LLM_COMPLETE): rarely grown
    this.usage = new Float64Array(USAGE_STRIDE * ((bytes >> 10) + 64));
    this.wTs = this.ts;
    this.wInts = this.ints;
  }

  /** The next event's index in the batch; its row goes to `wTs[wAt]`, `wInts[wAt * STRIDE ...]`. */
  private slot(): number {
    const k = this.n;
    if (this.rowsOn) {
      const w = stage2!;
      if (k - this.flushed === w.rowsMax) this.flush();
      this.wTs = w.rowsTs;
      this.wInts = w.rowsInts;
      this.wAt = k - this.flushed;
    } else {
      this.room(k + 1);
      this.wTs = this.ts;
      this.wInts = this.ints;
      this.wAt = k;
    }
    this.n = k + 1;
    return k;
  }

  /** `ts`/`ints` hold at least `rows` rows. */
  private room(rows: number): void {
    if (rows <= this.ts.length) return;
    const cap = Math.max(rows, this.ts.length * 2);
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    this.ts = ts;
    const ints = new Int32Array(cap * STRIDE);
    ints.set(this.ints);
    this.ints = ints;
  }

  /** The rows in stage 2's region, copied into `ts`/`ints` (rows on). */
  flush(): void {
    const m = this.n - this.flushed;
    if (m === 0) return;
    const w = stage2!;
    this.room(this.n);
    this.ts.set(w.rowsTs.subarray(0, m), this.flushed);
    this.ints.set(w.rowsInts.subarray(0, m * STRIDE), this.flushed * STRIDE);
    this.flushed = this.n;
  }

  /**
   * The lines that start in `buf[p, limit)` (`buf` is stage 2's chunk: `w`), each ending at its
   * `\n`: stage 2 writes the rows of those it can finish alone (ScanStage2.rows), the JS finishes
   * each line it stops at that it scanned (`adopt`: not scanned again), until the limit or a line
   * the JS takes from the start (SCAN_UNSURE, no `\n` in `buf`, over `maxLine`). Returns that
   * line's start, or a position >= limit.
   */
  runLines(w: ScanStage2, buf: Buffer, p: number, limit: number, maxLine: number): number {
    for (;;) {
      p = this.rows(w, buf, p, limit, maxLine);
      const stop = this.stop;
      if (stop === STOP_FULL) this.flush();
      else if (stop === STOP_SCANNED) {
        const e = this.stopEnd;
        const line = ++this.lines;
        this.take(scanner.adopt(buf, p, e), buf, p, e, line);
        p = e + 1;
      } else return p; // done, or the JS's line
      if (p >= limit) return p;
    }
  }

  /** One `rows` call: its rows counted, its usage entries and new spans taken. */
  private rows(w: ScanStage2, buf: Buffer, p: number, limit: number, maxLine: number): number {
    let q: number;
    try {
      q = w.rows(p, limit, buf.length, maxLine, this.lines, this.n - this.flushed, this.flushed);
    } catch {
      // a trap (a defect of the module, none known): what this call wrote is dropped, the rows
      // before it kept, and the rest of the batch (and every later one) goes the JS's way
      scanner.dropStage2();
      this.flush();
      this.rowsOn = false;
      spans.fallBack();
      this.stop = STOP_JS;
      return p;
    }
    const res = w.res;
    this.n += res[R_ROWS]!;
    this.lines += res[R_LINES]!;
    const u = res[R_USAGE_ROWS]!;
    if (u > 0) {
      this.usage = room(this.usage, (this.usageN + u) * USAGE_STRIDE);
      this.usage.set(w.usage.subarray(0, u * USAGE_STRIDE), this.usageN * USAGE_STRIDE);
      this.usageN += u;
    }
    const fresh = res[R_NEW_SPANS]!;
    if (fresh > 0) spans.addNew(buf, w.newSpans, fresh);
    this.stop = res[R_STOP]!;
    this.stopEnd = res[R_STOP_END]!;
    return q;
  }

  /** A line over the length bound: counted, never looked at. */
  longLine(): void {
    this.long.push(++this.lines);
  }

  /** One line (without its `\n`). */
  line(buf: Buffer, s: number, e: number): void {
    const line = ++this.lines;
    this.take(scanner.scan(buf, s, e), buf, s, e, line);
  }

  /** Line `line`, `buf[s, e)`, scanned with result `r`. */
  private take(r: number, buf: Buffer, s: number, e: number, line: number): void {
    if (r === SCAN_BLANK) return;
    if (r === SCAN_OK) {
      const k = this.slot();
      this.wTs[this.wAt] = scanner.timestampUs;
      const o = this.wAt * STRIDE;
      const ints = this.wInts;
      const view = scanner.view;
      // ids from stage 2's cache of `table` when it knows them, else looked up here and handed back
      let type = scanner.typeId;
      if (type < 0) {
        type = table.fromBytes(buf, scanner.typeStart, scanner.typeEnd, view);
        scanner.remember(scanner.typeStart, scanner.typeEnd, type);
      }
      ints[o] = type;
      let sid = scanner.sidId;
      if (scanner.sidStart < 0) sid = -1;
      else if (sid < 0) {
        sid = lastSession.id(buf, scanner.sidStart, scanner.sidEnd, view);
        scanner.remember(scanner.sidStart, scanner.sidEnd, sid);
      }
      ints[o + 1] = sid;
      ints[o + 2] = this.turn(k, scanner.turn);
      ints[o + 3] = scanner.spanStart < 0 ? -1 : spans.ofBytes(buf, scanner.spanStart, scanner.spanEnd, view);
      let labels = -1;
      if (scanner.hasLabels) {
        labels = scanner.labelsId;
        if (labels < 0) {
          labels = labelId(buf, scanner.labels);
          scanner.rememberLabels(labels);
        }
      }
      ints[o + 4] = labels;
      ints[o + 5] = line;
      // the few types whose data numbers the analysis reads (worker-protocol.ts numbersRule): their
      // data object only, parsed here
      const rule = ruleOf(type, buf, scanner.typeStart, scanner.typeEnd);
      if (scanner.dataStart >= 0 && (rule === NUMBERS_ALWAYS || (rule === NUMBERS_WITHOUT_SPAN && scanner.spanStart < 0))) {
        try {
          this.addNumbers(k, JSON.parse(buf.toString('utf8', scanner.dataStart, scanner.dataEnd)));
        } catch {
          // the scanner validated these bytes as JSON: unreachable; the event keeps its labels
        }
      } else if (scanner.usageType && scanner.usageNumbers()) {
        // usage figures on any line: read from where the scanner found them, no data parsed
        this.addUsage(k, buf);
      }
      return;
    }
    // the reference path: exactly the in-thread reader's handling of this line
    let text = buf.toString('utf8', s, e);
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (text.length === 0 || isBlank(text)) return;
    const ev = parseLine(text, input.file, line);
    if (ev === undefined) {
      this.skipped.push(line);
      return;
    }
    const k = this.slot();
    this.wTs[this.wAt] = ev.timestampUs;
    const o = this.wAt * STRIDE;
    const ints = this.wInts;
    ints[o] = table.fromString(ev.eventType);
    ints[o + 1] = ev.sessionId === null ? -1 : table.fromString(ev.sessionId);
    ints[o + 2] = this.turn(k, ev.turn ?? -1);
    ints[o + 3] = ev.spanId === undefined ? -1 : spans.ofString(ev.spanId);
    const d = ev.data;
    const lk = labelSetKey(own(d, 'provider'), own(d, 'model'), own(d, 'voice'), own(d, 'transport'));
    ints[o + 4] = lk === undefined ? -1 : table.fromString(lk);
    ints[o + 5] = line;
    const rule = numbersRule(ev.eventType);
    if (rule === NUMBERS_ALWAYS || (rule === NUMBERS_WITHOUT_SPAN && ev.spanId === undefined)) this.addNumbers(k, ev.data);
    else if (USAGE_TYPES.has(ev.eventType)) this.addUsageOf(k, ev.data);
    if (ev.nonFinite) this.nonFinite++;
  }

  /** Event `k`'s turn for `ints` (-1: none): one that does not fit an Int32, or -0, goes to `turns`. */
  private turn(k: number, t: number): number {
    if (t <= MAX_INT_TURN && !(t === 0 && 1 / t < 0)) return t;
    this.turns.push(k, t);
    return TURN_ASIDE;
  }

  /** The next entry of `usage` (its offset), its figures NaN. */
  private usageEntry(k: number): number {
    this.usage = room(this.usage, (this.usageN + 1) * USAGE_STRIDE);
    const o = this.usageN++ * USAGE_STRIDE;
    const u = this.usage;
    u[o] = k;
    for (let j = 1; j < USAGE_STRIDE; j++) u[o + j] = Number.NaN;
    return o;
  }

  /** Event `k`'s usage figures from the scanner's positions (the line was scanned as valid JSON). */
  private addUsage(k: number, buf: Buffer): void {
    const o = this.usageEntry(k);
    const at = scanner.usage;
    for (let j = 0; j < USAGE_NUMBERS.length; j++) {
      const s = at[2 * j]!;
      if (s >= 0) this.usage[o + 1 + j] = jsonNumber(buf, s, at[2 * j + 1]!);
    }
  }

  /** Event `k`'s usage figures from its parsed data (the reference path). */
  private addUsageOf(k: number, data: unknown): void {
    let any = false;
    for (const key of USAGE_NUMBERS) if (typeof own(data, key) === 'number') any = true;
    if (!any) return;
    const o = this.usageEntry(k);
    USAGE_NUMBERS.forEach((key, j) => {
      const v = own(data, key);
      if (typeof v === 'number') this.usage[o + 1 + j] = v;
    });
  }

  /** The numbers the analysis reads of event `k`'s data, with their kinds (worker-protocol.ts DATA_NUMBERS). */
  private addNumbers(k: number, data: unknown): void {
    this.nums = room(this.nums, (this.numsN + 1) * NUM_STRIDE);
    const o = this.numsN++ * NUM_STRIDE;
    const nums = this.nums;
    nums[o] = k;
    const metrics = own(data, 'metrics');
    let kinds = 0;
    // DATA_NUMBERS, then METRICS_NUMBERS: one entry each (no closure per line)
    for (let j = 0; j < DATA_NUMBERS.length + METRICS_NUMBERS.length; j++) {
      const v = j < DATA_NUMBERS.length ? own(data, DATA_NUMBERS[j]!) : own(metrics, METRICS_NUMBERS[j - DATA_NUMBERS.length]!);
      const kind = kindOf(v);
      kinds += kind * 2 ** (KIND_BITS * j);
      nums[o + 2 + j] = kind === KIND_NUMBER ? (v as number) : 0;
    }
    nums[o + 1] = kinds;
  }

  async post(bytes: number): Promise<void> {
    if (this.rowsOn) this.flush();
    while (credits <= 0) await new Promise<void>((r) => (wake = r));
    credits--;
    const msg: WorkerMessage = {
      kind: 'batch',
      job: input.job,
      ts: this.ts,
      ints: this.ints,
      n: this.n,
      reset: this.reset,
      fresh: table.out,
      spans: spans.out,
      lines: this.lines,
      skipped: this.skipped,
      long: this.long,
      nums: this.nums,
      numsN: this.numsN,
      usage: this.usage,
      usageN: this.usageN,
      turns: this.turns,
      nonFinite: this.nonFinite,
      bytes,
      marked: markedBytes,
    };
    markedBytes = 0;
    table.out = emptyStrings();
    port.postMessage(msg, [this.ts.buffer as ArrayBuffer, this.ints.buffer as ArrayBuffer, this.nums.buffer as ArrayBuffer, this.usage.buffer as ArrayBuffer]);
  }
}

/**
 * One read buffer for every chunk of every file this worker reads: a fresh 1 MiB buffer per
 * chunk lived outside the heap until the worker's next full GC, ~10-14 MB of dead buffers per
 * worker at the peak (issue 14, round 4). Nothing keeps a view of it past its chunk (strings
 * are copied out, batches are typed arrays).
 */
let reusedRead: Buffer | undefined;
function readBuffer(bytes: number): Buffer {
  if (reusedRead === undefined || reusedRead.length < bytes) reusedRead = Buffer.allocUnsafeSlow(bytes);
  return reusedRead;
}

/** Plain file: this worker's chunks, read by position; each holds the lines that start in it. */
async function readChunks(): Promise<void> {
  const { chunkBytes: C, size, index, workers, maxLineBytes: MAX_LINE } = input;
  const fh: FileHandle = await open(input.path, READ_FLAGS);
  const OVER = 64 * 1024;
  const reused = readBuffer(Math.min(size, C + OVER + 1)); // a chunk with the byte before it and its overlap, at most
  try {
    for (let k = index; k * C < size; k += workers) {
      const from = k * C;
      const to = Math.min(size, from + C);
      // one byte before the chunk (was it a line start?) and some bytes after (its last line's end)
      let readFrom = from === 0 ? 0 : from - 1;
      let readTo = Math.min(size, to + OVER);
      let buf = reused.subarray(0, readTo - readFrom);
      await readFully(fh, buf, readFrom);
      mark(buf);
      const batch = new Batch(to - from);
      let p: number; // buffer index of the current line start
      if (from === 0) p = 0;
      else {
        const nl = buf.indexOf(10, 0); // an offset always: Node's indexOf, called with one elsewhere, deoptimised on undefined
        p = nl < 0 ? buf.length : nl + 1;
      }
      let limit = to - readFrom; // lines must start before this buffer index
      while (p < limit) {
        const w = batch.rowsOn ? scanner.stage2Of(buf) : null;
        if (w !== null) {
          p = batch.runLines(w, buf, p, limit, MAX_LINE);
          if (p >= limit) break;
        }
        let nl = buf.indexOf(10, p);
        while (nl < 0 && readFrom + buf.length < size && buf.length - p <= MAX_LINE) {
          // a line longer than the overlap: read on (up to the bound)
          const more = Buffer.allocUnsafe(Math.min(size, readTo + Math.max(OVER, buf.length)) - readTo);
          await readFully(fh, more, readTo);
          readTo += more.length;
          const old = buf.length;
          buf = Buffer.concat([buf, more]);
          mark(buf);
          nl = buf.indexOf(10, old);
        }
        const e = nl < 0 ? buf.length : nl;
        if (e - p > MAX_LINE) {
          // too long: find its end without keeping its bytes, then go on from the next line
          batch.longLine();
          const next = nl >= 0 ? readFrom + nl + 1 : await nextLineStart(fh, readFrom + buf.length, size);
          if (next >= to) break;
          readFrom = next;
          readTo = Math.min(size, to + OVER);
          buf = Buffer.allocUnsafe(readTo - readFrom);
          await readFully(fh, buf, readFrom);
          mark(buf);
          p = 0;
          limit = to - readFrom;
          continue;
        }
        batch.line(buf, p, e);
        p = e + 1;
      }
      await batch.post(to - from);
    }
  } finally {
    await fh.close();
  }
}

/** The file position after the next newline at or after `pos` (the file size if none), read through a small buffer. */
async function nextLineStart(fh: FileHandle, pos: number, size: number): Promise<number> {
  const scratch = Buffer.allocUnsafe(1 << 20);
  while (pos < size) {
    const n = Math.min(scratch.length, size - pos);
    await readFully(fh, scratch.subarray(0, n), pos);
    const i = scratch.indexOf(10, 0);
    if (i >= 0 && i < n) return pos + i + 1;
    pos += n;
  }
  return size;
}

/**
 * Synchronous: this thread has nothing else to do while its chunk is read (acks wait in its
 * queue). `fh.read` handed each 1 MiB read to libuv's thread pool and back: on 2 busy cores
 * that thread waited for a CPU too, 100-180 ms per 1M events of the worker's ~0.9 s against
 * 40-50 ms read in this thread (issue 14, round 6).
 */
async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const bytesRead = readSync(fh.fd, buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw new Error('file shrank while being read');
    off += bytesRead;
  }
}

/**
 * Gzip file: one stream, decompressed chunk by chunk; a line cut by a chunk is carried over
 * (as a list of parts, not re-concatenated per chunk: linear in the line's length), and a line
 * over the bound is dropped as it arrives.
 */
async function readGzip(): Promise<void> {
  const MAX_LINE = input.maxLineBytes;
  const raw = createReadStream(input.path, { highWaterMark: input.chunkBytes, flags: STREAM_READ_FLAGS });
  const gunzip = createGunzip({ chunkSize: input.chunkBytes });
  raw.on('error', (e) => gunzip.destroy(e));
  const s = raw.pipe(gunzip);
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let skipping = false; // inside a line over the bound
  let sentBytes = 0;
  for await (const chunk of s) {
    const c = chunk as Buffer;
    const first = c.indexOf(10, 0);
    if (first < 0) {
      if (!skipping) {
        carry.push(c);
        carryBytes += c.length;
        if (carryBytes > MAX_LINE) {
          carry = [];
          carryBytes = 0;
          skipping = true;
        }
      }
      continue;
    }
    const last = c.lastIndexOf(10);
    mark(c);
    const batch = new Batch(last);
    // the line carried over
    if (skipping || carryBytes + first > MAX_LINE) batch.longLine();
    else if (carry.length > 0) {
      carry.push(c.subarray(0, first));
      const line = Buffer.concat(carry);
      batch.line(line, 0, line.length);
    } else batch.line(c, 0, first);
    carry = [];
    carryBytes = 0;
    skipping = false;
    let p = first + 1;
    while (p <= last) {
      const w = batch.rowsOn ? scanner.stage2Of(c) : null;
      if (w !== null) {
        p = batch.runLines(w, c, p, last + 1, MAX_LINE);
        if (p > last) break;
      }
      const nl = c.indexOf(10, p);
      if (nl - p > MAX_LINE) batch.longLine();
      else batch.line(c, p, nl);
      p = nl + 1;
    }
    if (last + 1 < c.length) {
      carry.push(c.subarray(last + 1));
      carryBytes = c.length - last - 1;
      if (carryBytes > MAX_LINE) {
        carry = [];
        carryBytes = 0;
        skipping = true;
      }
    }
    const bytes = raw.bytesRead - sentBytes;
    sentBytes = raw.bytesRead;
    await batch.post(bytes);
  }
  if (skipping || carry.length > 0) {
    const batch = new Batch(carryBytes);
    if (skipping) batch.longLine();
    else {
      const line = Buffer.concat(carry);
      batch.line(line, 0, line.length);
    }
    await batch.post(0);
  }
  port.postMessage({ kind: 'end', job: input.job, bytes: raw.bytesRead - sentBytes } satisfies WorkerMessage);
}

/** Reads one file (a job) to its end; its last message is `end` or `error`. One job at a time. */
async function run(job: WorkerInput): Promise<void> {
  input = job;
  credits = job.maxInFlight;
  try {
    if (input.gz) await readGzip();
    else {
      await readChunks();
      port.postMessage({ kind: 'end', job: job.job, bytes: 0 } satisfies WorkerMessage);
    }
  } catch (err) {
    port.postMessage({ kind: 'error', job: job.job, message: (err as Error).message ?? String(err) } satisfies WorkerMessage);
  }
}
