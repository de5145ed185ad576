import { readFileSync } from 'node:fs';
import { STRIDE, USAGE_STRIDE, USAGE_TYPES } from './worker-protocol.js';
import { CHUNK_AT, type SpecialBytes } from './special-bytes.js';

/** The few WebAssembly JS API members used here (the project's TS libs carry no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Result slots (Int32 index; the module writes them at address 0): as in cli/assembly/scan-line.ts. */
export const R_TS_START = 0;
export const R_TS_END = 1;
export const R_TYPE_START = 2;
export const R_TYPE_END = 3;
export const R_SID_START = 4;
export const R_SID_END = 5;
export const R_TURN = 6;
export const R_TURN_START = 7;
export const R_TURN_END = 8;
export const R_SPAN_START = 9;
export const R_SPAN_END = 10;
export const R_LABELS = 11;
export const R_HAS_LABELS = 19;
export const R_DATA_START = 20;
export const R_DATA_END = 21;
export const R_USAGE_LINE = 22;
export const R_USAGE_NOTED = 23;
export const R_USAGE = 24;
/** The timestamp: Float64 index 16 (byte 128; Int32 slots 32 and 33). */
export const R_TS_US = 16;
/** The string table's ids of the event type, session id and label set from stage 2's cache; -1: not known (-2: a label set too long for it). */
export const R_TYPE_ID = 34;
export const R_SID_ID = 35;
export const R_LABELS_ID = 36;
/** What the last `rows` call did (cli/assembly/scan-line.ts `rows`). */
export const R_ROWS = 37;
export const R_LINES = 38;
export const R_STOP = 39;
export const R_STOP_END = 40;
export const R_USAGE_ROWS = 41;
export const R_NEW_SPANS = 42;
/** `rows` stopped: no line left before the limit; at a line scanned SCAN_OK that the JS finishes; at a line the JS takes from the start; with its regions full. */
export const STOP_DONE = 0;
export const STOP_SCANNED = 1;
export const STOP_JS = 2;
export const STOP_FULL = 3;
const RESULTS = 48;
/** The usage types' table (byte address; entry k at TYPES + 36 k: length, then the bytes). */
const TYPES = 256;

/**
 * Stage 2 of the parse worker's byte scanner in WebAssembly (cli/assembly/scan-line.ts,
 * AssemblyScript, built to scan-line.wasm): LineScanner.scan's validation and field finding for
 * one line of the chunk stage 1 has copied into its memory (special-bytes.ts), run in the module.
 * It imports stage 1's memory, so the chunk is copied there once for both stages. LineScanner uses
 * it for the lines of the buffer last marked and reads its results back (the `res`/`f64` views);
 * what the module leaves to JavaScript (a timestamp of a minute it has not been given, a turn that
 * is not plain digits, usage numbers of a `data` that came before `event_type`) LineScanner works
 * out itself, so its answers are the plain scanner's (test/reader/special-bytes.test.ts).
 *
 * It also writes the parse worker's batch rows itself (`rows`, issue 14 round 8): for a run of
 * the chunk's lines, one call, the rows of the lines it can finish alone in a region the worker
 * copies in bulk (parse-worker.ts Batch.runLines); the batch's span ids are then kept in its
 * memory too (span-ids.ts). test/reader/batch-rows.test.ts checks the batches are the same.
 */
export class ScanStage2 {
  /** Scans the chunk's bytes [start, end): SCAN_OK (results in `res`/`f64`), SCAN_BLANK or SCAN_UNSURE. */
  readonly scan: (start: number, end: number) => number;
  readonly setPrefix: (w0: number, w1: number, w2: number, w3: number, ms: number) => void;
  /**
   * The cache of the parse worker's string table (types, sessions, label sets: ids in the results
   * of a line when known): `remember` the id the table gave the chunk's bytes [start, end) of the
   * last line, `rememberLabels` its label set's; `forget` all when the table starts afresh.
   */
  readonly remember: (start: number, end: number, id: number) => void;
  readonly rememberLabels: (id: number) => void;
  readonly forget: () => void;
  /**
   * The batch rows (cli/assembly/scan-line.ts `rows`): `rows(p, limit, n, maxLine, line0, row0, k0)`
   * writes the rows of the lines from chunk position p on that it can finish alone, from row `row0`
   * of `rowsTs`/`rowsInts` on, and returns where it stopped (R_ROWS, R_LINES, R_STOP, ... in `res`).
   */
  readonly rows: (p: number, limit: number, n: number, maxLine: number, line0: number, row0: number, k0: number) => number;
  /** numbersRule() of the type with table id `id` (forgotten with the cache). */
  readonly setRule: (id: number, rule: number) => void;
  /** The batch's span ids, kept by the module while rows are on: a new batch, the chunk's bytes [s, e), the `n` bytes at `spanKeyAt`, a new id for a span kept in JS. -1: kept in JS. */
  readonly spanReset: () => void;
  readonly spanAt: (s: number, e: number) => number;
  readonly spanKey: (n: number) => number;
  readonly spanNext: () => number;
  /** Rows per call at most (the regions' size), usage entries per call at most, the span key's address and size. */
  readonly rowsMax: number;
  readonly usageMax: number;
  readonly spanKeyAt: number;
  readonly spanKeyBytes: number;
  private readonly rowsTsAt: number;
  private readonly rowsIntsAt: number;
  private readonly usageAt: number;
  private readonly newSpansAt: number;
  /** Views of the rows region (ts, ints in the batch's layout), the usage entries, the new spans' ranges and all of the memory; remade when the memory grows. */
  rowsTs!: Float64Array;
  rowsInts!: Int32Array;
  usage!: Float64Array;
  newSpans!: Int32Array;
  bytes!: Uint8Array;
  private readonly marksAt: (ptr: number) => void;
  private readonly memory: WasmMemory;
  /** The module trapped once: not used again (LineScanner scans in JS; the worker's output is the same). */
  failed = false;
  /** Views of the results (remade when the memory grows: growing detaches them). */
  res: Int32Array;
  f64: Float64Array;

  constructor(exports: Record<string, unknown>, memory: WasmMemory) {
    this.scan = exports['scan'] as ScanStage2['scan'];
    this.setPrefix = exports['setPrefix'] as ScanStage2['setPrefix'];
    this.marksAt = exports['useMarks'] as (ptr: number) => void;
    this.remember = exports['remember'] as ScanStage2['remember'];
    this.rememberLabels = exports['rememberLabels'] as ScanStage2['rememberLabels'];
    this.forget = exports['forget'] as ScanStage2['forget'];
    this.rows = exports['rows'] as ScanStage2['rows'];
    this.setRule = exports['setRule'] as ScanStage2['setRule'];
    this.spanReset = exports['spanReset'] as ScanStage2['spanReset'];
    this.spanAt = exports['spanAt'] as ScanStage2['spanAt'];
    this.spanKey = exports['spanKey'] as ScanStage2['spanKey'];
    this.spanNext = exports['spanNext'] as ScanStage2['spanNext'];
    if ((exports['chunkAt'] as () => number)() !== CHUNK_AT) throw new Error('stage 2 expects the chunk elsewhere');
    const layout = exports['layout'] as (k: number) => number;
    if (layout(3) !== STRIDE || layout(6) !== USAGE_STRIDE) throw new Error('stage 2 writes rows of another layout');
    this.rowsTsAt = layout(0);
    this.rowsIntsAt = layout(1);
    this.rowsMax = layout(2);
    this.usageAt = layout(4);
    this.usageMax = layout(5);
    this.newSpansAt = layout(7);
    this.spanKeyAt = layout(8);
    this.spanKeyBytes = layout(9);
    this.memory = memory;
    this.res = new Int32Array(memory.buffer, 0, RESULTS);
    this.f64 = new Float64Array(memory.buffer, 0, 17);
    this.refreshViews();
    // the usage types, from the one list the protocol keeps
    const mem = new Uint8Array(memory.buffer);
    const dv = new DataView(memory.buffer);
    let k = 0;
    for (const t of USAGE_TYPES) {
      // a length is a bit of a 32-bit mask in the module (lengths 0-31)
      if (t.length >= 32 || k >= 20) throw new Error('usage type table full');
      dv.setInt32(TYPES + 36 * k, t.length, true);
      mem.set(Buffer.from(t, 'latin1'), TYPES + 36 * k + 4);
      k++;
    }
    (exports['setUsageTypes'] as (n: number) => void)(k);
  }

  /**
   * The chunk now in memory has its marks at `marks` (a view of this module's memory,
   * SpecialBytes.index). False, and nothing changed, when `marks` is a view of other memory
   * (marks of another stage 1): stage 2 would read them at a wrong address, so the caller scans
   * in JavaScript.
   */
  useMarks(marks: Uint32Array): boolean {
    if (marks.buffer !== this.memory.buffer) return false;
    this.marksAt(marks.byteOffset);
    this.refreshViews();
    return true;
  }

  /** Remakes the views when the memory has grown (growing detaches them). */
  refreshViews(): void {
    const b = this.memory.buffer;
    if (this.bytes !== undefined && this.bytes.buffer === b) return;
    this.res = new Int32Array(b, 0, RESULTS);
    this.f64 = new Float64Array(b, 0, 17);
    this.rowsTs = new Float64Array(b, this.rowsTsAt, this.rowsMax);
    this.rowsInts = new Int32Array(b, this.rowsIntsAt, this.rowsMax * STRIDE);
    this.usage = new Float64Array(b, this.usageAt, this.usageMax * USAGE_STRIDE);
    this.newSpans = new Int32Array(b, this.newSpansAt, this.rowsMax * 2);
    this.bytes = new Uint8Array(b);
  }
}

/**
 * Stage 2 over stage 1's memory, or undefined when it cannot be loaded (no file, a broken one,
 * no WebAssembly): the scanner then runs stage 2 in JavaScript, as before. `bytes` replaces the
 * built file (tests). VOICEMODE_EVENTS_WASM=off is handled by the caller: without stage 1 there
 * is no stage 2.
 */
export function loadScanStage2(special: SpecialBytes, bytes?: Uint8Array): ScanStage2 | undefined {
  if (WebAssembly === undefined) return undefined;
  try {
    const code = bytes ?? readFileSync(new URL('./scan-line.wasm', import.meta.url));
    const memory = special.wasmMemory;
    if (!special.reserve(CHUNK_AT)) return undefined; // its regions below the chunk are used before the first chunk
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } });
    return new ScanStage2(instance.exports, memory);
  } catch {
    return undefined;
  }
}
