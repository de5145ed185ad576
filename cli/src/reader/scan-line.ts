import { parseTimestampFast } from './parse-line.js';
import { USAGE_TYPES } from './worker-protocol.js';
import { parseTimestampUs } from 'voicemode-events/internal';
import { R_DATA_END, R_DATA_START, R_HAS_LABELS, R_LABELS, R_LABELS_ID, R_SID_END, R_SID_ID, R_SID_START, R_SPAN_END, R_SPAN_START, R_TS_END, R_TS_START, R_TS_US, R_TURN, R_TURN_END, R_TURN_START, R_TYPE_END, R_TYPE_ID, R_TYPE_START, R_USAGE, R_USAGE_LINE, R_USAGE_NOTED, type ScanStage2 } from './scan-wasm.js';

/**
 * A validating JSON scanner over the bytes of one line, for the compact reader (parse-worker.ts).
 *
 * It checks the *whole* line against the JSON grammar (every nested value, string escape and
 * number), exactly as `JSON.parse` would, but builds no objects: it only notes where the
 * top-level fields the metrics need are (timestamp, event_type, session_id, turn, span_id, and
 * provider/model/voice/transport directly inside `data`). Duplicate keys: the last one wins,
 * as with `JSON.parse`.
 *
 * It never decides that a line is malformed. Whenever a line is not plainly well formed with
 * plain fields (a syntax error, a torn line, an escape or non-ASCII byte in a needed string or
 * in a top-level key, a missing or odd field, ...) it answers `SCAN_UNSURE`, and the caller
 * falls back to the reference path: decode the line and `parseLine` (JSON.parse and the
 * malformed-line rule of parse-line.ts). So what is kept, what is skipped and every field's
 * value are those of parse-line.ts by construction; only the common, well-formed lines take
 * the fast path. test/reader/scan-line.test.ts checks the two agree on generated lines.
 *
 * Given stage 1's marks of the buffer (`useMarks`, special-bytes.ts: WebAssembly SIMD), string
 * content is skipped from one marked byte to the next instead of byte by byte; the answers are
 * the same (test/reader/special-bytes.test.ts). Given stage 2 too (scan-wasm.ts: this very scan
 * ported to WebAssembly, over stage 1's copy of the buffer), the lines of the marked buffer are
 * scanned there and only the results are read back here; the answers are again the same.
 */
export const SCAN_OK = 0;
export const SCAN_BLANK = 1;
export const SCAN_UNSURE = 2;

const MAX_DEPTH = 256;

/** Flags of the last string scanned. */
const F_ESCAPE = 1;
const F_NON_ASCII = 2;

/** Value kinds recorded for the top-level fields. */
const K_ABSENT = 0;
const K_STRING = 1;
const K_NULL = 2;
const K_OBJECT = 3;
const K_NUMBER = 4;
const K_OTHER = 5;

export class LineScanner {
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** A DataView over the bytes of the buffer last scanned, index for index (the parse worker's table lookups read through it). */
  get view(): DataView {
    return this.dv;
  }
  /** The event_type of the last SCAN_OK line is one of USAGE_TYPES. */
  get usageType(): boolean {
    return this.usageLine;
  }
  private end = 0;
  private strFlags = 0;
  /** Stage 1's marks of the buffer being scanned (special-bytes.ts), or null: every string byte tested here. */
  private marks: Uint32Array | null = null;
  private markedBuf: Uint8Array | null = null;
  private markedWords: Uint32Array | null = null;
  /** Stage 2 in WebAssembly, for the lines of markedBuf (its copy is in the module's memory), or null. */
  private stage2: ScanStage2 | null = null;
  /** The last SCAN_OK line was scanned by stage 2 and its usage numbers were noted there. */
  private usageInStage2 = false;
  /** Stage 2 has been given this scanner's minute (prefix0..3, prefixMs). */
  private prefixGiven = false;

  // results of the last SCAN_OK (byte offsets into the scanned buffer; string contents without quotes)
  timestampUs = 0;
  typeStart = 0;
  typeEnd = 0;
  /** -1: session_id absent or null. */
  sidStart = -1;
  sidEnd = -1;
  /** -1: no usable turn (absent, not a non-negative integer). */
  turn = -1;
  /**
   * The parse worker's string table ids of the event type, the session id and the label set, when
   * stage 2's cache knows them; else -1 (-2: a label set too long for the cache): the worker looks
   * them up and hands them back (`remember`, `rememberLabels`).
   */
  typeId = -1;
  sidId = -1;
  labelsId = -1;
  /** -1: no span_id (absent, not a string, or empty). */
  spanStart = -1;
  spanEnd = -1;
  /** provider, model, voice, transport inside `data`: start/end pairs, -1 when absent or not a string. */
  readonly labels = new Int32Array(8).fill(-1);
  hasLabels = false;
  /** Some slot of `labels` may hold a position (else all are -1 and clearing them is skipped). */
  private labelsSet = false;
  /**
   * After `usageNumbers()`: numbers directly inside `data` under the usage keys characters,
   * audio_s, input_tokens, output_tokens (worker-protocol.ts USAGE_NUMBERS, same order): start/end
   * pairs, -1 when absent or not a number.
   */
  readonly usage = new Int32Array(8);
  /** The line's event_type, when known before `data`, is one of USAGE_TYPES: its `data` walk notes the usage numbers. */
  private usageLine = false;
  /** The last `data` walk noted them (else usageNumbers() walks `data` again). */
  private usageNoted = false;
  /** The `data` object's bytes (braces included) when it is an object; -1 otherwise. */
  dataStart = -1;
  dataEnd = -1;

  // per-line field positions
  private tsKind = K_ABSENT;
  private tsStart = 0;
  private tsEnd = 0;
  private typeKind = K_ABSENT;
  private sidKind = K_ABSENT;
  private dataKind = K_ABSENT;
  private turnKind = K_ABSENT;
  private turnStart = 0;
  private turnEnd = 0;
  private spanKind = K_ABSENT;

  // timestamp cache by minute (`YYYY-MM-DDTHH:MM`), as in parseTimestampFast: its 16 bytes as
  // four little-endian words (compared by DataView reads), valid when prefixValid
  private prefix0 = 0;
  private prefix1 = 0;
  private prefix2 = 0;
  private prefix3 = 0;
  private prefixValid = false;
  private prefixMs = 0;

  /**
   * Stage 1's marks of `buf` (SpecialBytes.index): the scans of lines of this very buffer skip
   * plain string bytes with them, until the next call (`buf`'s bytes must not change meanwhile).
   * Lines of any other buffer are scanned byte by byte.
   */
  useMarks(buf: Uint8Array | null, marks: Uint32Array | null, stage2: ScanStage2 | null = null): void {
    this.markedBuf = buf;
    this.markedWords = marks;
    this.stage2 = marks === null || stage2 === null || stage2.failed || !stage2.useMarks(marks) ? null : stage2;
  }

  /** Scans `buf[start, end)` (one line, without its `\n`). */
  scan(buf: Uint8Array, start: number, end: number): number {
    if (buf !== this.buf) this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.buf = buf;
    this.end = end;
    this.marks = buf === this.markedBuf ? this.markedWords : null;
    this.usageInStage2 = false;
    this.typeId = this.sidId = this.labelsId = -1;
    if (this.marks !== null && this.stage2 !== null) return this.scanStage2(this.stage2, start, end);
    let i = this.ws(start);
    if (i >= end) return SCAN_BLANK;
    if (buf[i] !== 123 /* { */) return SCAN_UNSURE;
    this.tsKind = K_ABSENT;
    this.typeKind = K_ABSENT;
    this.sidKind = K_ABSENT;
    this.dataKind = K_ABSENT;
    this.dataStart = this.dataEnd = -1;
    this.usageLine = this.usageNoted = false;
    this.turnKind = K_ABSENT;
    this.spanKind = K_ABSENT;
    this.clearLabels();
    i = this.ws(i + 1);
    if (i >= end) return SCAN_UNSURE;
    if (buf[i] === 125 /* } */) return SCAN_UNSURE; // {}: no timestamp (malformed): the reference path decides
    for (;;) {
      if (i >= end || buf[i] !== 34) return SCAN_UNSURE;
      const ks = i + 1;
      i = this.str(i);
      if (i < 0 || this.strFlags !== 0) return SCAN_UNSURE;
      const ke = i - 1;
      i = this.ws(i);
      if (i >= end || buf[i] !== 58 /* : */) return SCAN_UNSURE;
      i = this.ws(i + 1);
      if (i >= end) return SCAN_UNSURE;
      i = this.topValue(ks, ke - ks, i);
      if (i < 0) return SCAN_UNSURE;
      i = this.ws(i);
      if (i >= end) return SCAN_UNSURE;
      const c = buf[i];
      if (c === 44 /* , */) {
        i = this.ws(i + 1);
        continue;
      }
      if (c === 125) break;
      return SCAN_UNSURE;
    }
    if (this.ws(i + 1) !== end) return SCAN_UNSURE;
    // the malformed-line rule, plain cases only (anything else: the reference path)
    if (this.tsKind !== K_STRING || this.typeKind !== K_STRING || this.typeEnd === this.typeStart) return SCAN_UNSURE;
    if (this.sidKind === K_ABSENT || this.sidKind === K_NULL) this.sidStart = this.sidEnd = -1;
    else if (this.sidKind !== K_STRING) return SCAN_UNSURE;
    if (this.dataKind !== K_ABSENT && this.dataKind !== K_NULL && this.dataKind !== K_OBJECT) return SCAN_UNSURE;
    if (this.spanKind !== K_STRING || this.spanEnd === this.spanStart) this.spanStart = this.spanEnd = -1;
    this.turn = this.turnKind === K_NUMBER ? this.turnValue() : -1;
    const l = this.labels;
    this.hasLabels = l[0]! >= 0 || l[2]! >= 0 || l[4]! >= 0 || l[6]! >= 0;
    const ts = this.timestamp(this.tsStart, this.tsEnd);
    if (Number.isNaN(ts)) return SCAN_UNSURE;
    this.timestampUs = ts;
    return SCAN_OK;
  }

  /**
   * Stage 2, when it scans the lines of `buf` (the buffer last marked, whose copy is in its
   * memory): the parse worker then has the module write the rows of a run of lines itself
   * (ScanStage2.rows); else null.
   */
  stage2Of(buf: Uint8Array): ScanStage2 | null {
    return buf === this.markedBuf && this.markedWords !== null ? this.stage2 : null;
  }

  /** Stage 2 trapped (in `rows`): this scanner scans every later line in JS. */
  dropStage2(): void {
    if (this.stage2 !== null) this.stage2.failed = true;
    this.stage2 = null;
  }

  /**
   * The line `buf[start, end)` that stage 2's `rows` stopped at after scanning it SCAN_OK (its
   * results are still in the module's memory): the same as `scan` of it, without scanning it again.
   */
  adopt(buf: Uint8Array, start: number, end: number): number {
    if (buf !== this.buf) this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.buf = buf;
    this.end = end;
    this.marks = this.markedWords;
    this.usageInStage2 = false;
    this.typeId = this.sidId = this.labelsId = -1;
    return this.stage2Results(this.stage2!);
  }

  /** `scan` by stage 2 (the line is in its memory): its results read back, what it left worked out here. */
  private scanStage2(w: ScanStage2, start: number, end: number): number {
    let r: number;
    try {
      r = w.scan(start, end);
    } catch {
      // a trap (a defect of the module, none known): this line and every later one by the JS scan
      w.failed = true;
      this.stage2 = null;
      return this.scan(this.buf, start, end);
    }
    if (r !== SCAN_OK) return r;
    return this.stage2Results(w);
  }

  /** The results of the line stage 2 last scanned SCAN_OK, with what it left worked out here. */
  private stage2Results(w: ScanStage2): number {
    const o = w.res;
    let ts = w.f64[R_TS_US]!;
    if (Number.isNaN(ts)) {
      // a minute stage 2 was not given, or an odd form: read here (and the minute passed on)
      ts = this.timestamp(o[R_TS_START]!, o[R_TS_END]!);
      if (Number.isNaN(ts)) return SCAN_UNSURE;
      if (!this.prefixGiven && this.prefixValid) {
        w.setPrefix(this.prefix0, this.prefix1, this.prefix2, this.prefix3, this.prefixMs);
        this.prefixGiven = true;
      }
    }
    this.timestampUs = ts;
    this.typeStart = o[R_TYPE_START]!;
    this.typeEnd = o[R_TYPE_END]!;
    this.sidStart = o[R_SID_START]!;
    this.sidEnd = o[R_SID_END]!;
    this.spanStart = o[R_SPAN_START]!;
    this.spanEnd = o[R_SPAN_END]!;
    let turn = o[R_TURN]!;
    if (turn === -2) {
      // not plain digits: read as parseLine reads it
      this.turnStart = o[R_TURN_START]!;
      this.turnEnd = o[R_TURN_END]!;
      turn = this.turnValue();
    }
    this.turn = turn;
    this.hasLabels = o[R_HAS_LABELS] === 1;
    if (this.hasLabels) {
      const l = this.labels;
      for (let j = 0; j < 8; j++) l[j] = o[R_LABELS + j]!;
      this.labelsSet = true;
    } else this.clearLabels();
    this.dataStart = o[R_DATA_START]!;
    this.dataEnd = o[R_DATA_END]!;
    this.usageLine = o[R_USAGE_LINE] === 1;
    this.usageNoted = this.usageInStage2 = o[R_USAGE_NOTED] === 1;
    this.typeId = o[R_TYPE_ID]!;
    this.sidId = o[R_SID_ID]!;
    this.labelsId = o[R_LABELS_ID]!;
    return SCAN_OK;
  }

  /** The string table gave the last line's bytes [s, e) id `id`: stage 2's cache learns it (when stage 2 scanned the line). */
  remember(s: number, e: number, id: number): void {
    if (this.marks !== null && this.stage2 !== null) this.stage2.remember(s, e, id);
  }

  /** The last line's label set has id `id` in the string table (as `remember`). */
  rememberLabels(id: number): void {
    if (this.marks !== null && this.stage2 !== null && this.labelsId === -1) this.stage2.rememberLabels(id);
  }

  private clearLabels(): void {
    if (!this.labelsSet) return; // already clear: most lines have no labels
    const l = this.labels;
    l[0] = l[1] = l[2] = l[3] = l[4] = l[5] = l[6] = l[7] = -1;
    this.labelsSet = false;
  }

  private ws(i: number): number {
    const buf = this.buf;
    const end = this.end;
    while (i < end) {
      const c = buf[i]!;
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      i++;
    }
    return i;
  }

  /** A top-level value for key `buf[ks, ks + klen)` starting at `i`; returns the index after it, or -1. */
  private topValue(ks: number, klen: number, i: number): number {
    const c = this.buf[i];
    switch (topKey(this.dv, ks, klen)) {
      case T_TIMESTAMP: {
      if (c !== 34) {
        this.tsKind = K_OTHER;
        return this.value(i, 0);
      }
      const e = this.str(i);
      if (e < 0 || this.strFlags !== 0) return -1;
      this.tsKind = K_STRING;
      this.tsStart = i + 1;
      this.tsEnd = e - 1;
      return e;
    }
    case T_TYPE: {
      if (c !== 34) {
        this.typeKind = K_OTHER;
        return this.value(i, 0);
      }
      const e = this.str(i);
      if (e < 0 || this.strFlags !== 0) return -1;
      this.typeKind = K_STRING;
      this.typeStart = i + 1;
      this.typeEnd = e - 1;
      const n = e - i - 2;
      // most types are ruled out by their length here, without a call
      this.usageLine = n < 32 && ((USAGE_TYPE_LENGTHS >>> n) & 1) === 1 && usageTypeAt(this.dv, i + 1, n);
      return e;
    }
    case T_SESSION: {
      if (c !== 34) {
        const e = this.value(i, 0);
        this.sidKind = c === 110 /* n(ull) */ ? K_NULL : K_OTHER;
        return e;
      }
      const e = this.str(i);
      if (e < 0 || this.strFlags !== 0) return -1;
      this.sidKind = K_STRING;
      this.sidStart = i + 1;
      this.sidEnd = e - 1;
      return e;
    }
    case T_DATA: {
      this.clearLabels(); // a later `data` replaces an earlier one
      if (c === 123) {
        this.dataKind = K_OBJECT;
        this.dataStart = i;
        if (this.usageLine) this.clearUsage();
        this.usageNoted = this.usageLine;
        return (this.dataEnd = this.dataObject(i));
      }
      this.dataKind = c === 110 ? K_NULL : K_OTHER;
      this.dataStart = this.dataEnd = -1;
      // the figures noted in an earlier `data` object went with it
      if (this.usageLine) this.clearUsage();
      this.usageNoted = false;
      return this.value(i, 0);
    }
    case T_TURN: {
      const e = this.value(i, 0);
      if (c === 45 || (c! >= 48 && c! <= 57)) {
        this.turnKind = K_NUMBER;
        this.turnStart = i;
        this.turnEnd = e;
      } else this.turnKind = K_OTHER;
      return e;
    }
    case T_SPAN: {
      if (c !== 34) {
        this.spanKind = K_OTHER;
        return this.value(i, 0);
      }
      const e = this.str(i);
      if (e < 0 || this.strFlags !== 0) return -1;
      this.spanKind = K_STRING;
      this.spanStart = i + 1;
      this.spanEnd = e - 1;
      return e;
    }
    }
    return this.value(i, 0);
  }

  /** The `data` object: its own keys provider/model/voice/transport are noted. */
  private dataObject(i: number): number {
    const buf = this.buf;
    const end = this.end;
    i = this.ws(i + 1);
    if (i < end && buf[i] === 125) return i + 1;
    for (;;) {
      if (i >= end || buf[i] !== 34) return -1;
      const ks = i + 1;
      i = this.str(i);
      if (i < 0) return -1;
      // an escaped key could spell a label key: the reference path decides
      if ((this.strFlags & F_ESCAPE) !== 0) return -1;
      const klen = i - 1 - ks;
      let slot = labelSlot(this.dv, ks, klen);
      if (slot < 0 && this.usageLine) slot = usageSlot(this.dv, ks, klen);
      i = this.ws(i);
      if (i >= end || buf[i] !== 58) return -1;
      i = this.ws(i + 1);
      if (i >= end) return -1;
      if (slot >= 8) i = this.usageValue(slot - 8, i);
      else if (slot >= 0) {
        if (buf[i] === 34) {
          const e = this.str(i);
          if (e < 0 || this.strFlags !== 0) return -1;
          this.labels[slot] = i + 1;
          this.labels[slot + 1] = e - 1;
          this.labelsSet = true;
          i = e;
        } else {
          this.labels[slot] = -1;
          this.labels[slot + 1] = -1;
          i = this.value(i, 1);
        }
      } else i = this.value(i, 1);
      if (i < 0) return -1;
      i = this.ws(i);
      if (i >= end) return -1;
      const c = buf[i];
      if (c === 44) {
        i = this.ws(i + 1);
        continue;
      }
      if (c === 125) return i + 1;
      return -1;
    }
  }

  /**
   * The usage numbers of the last SCAN_OK line's `data` object (see `usage`); true when it has
   * any. Noted during the scan when event_type came before `data` (our writer's and the spec's
   * order); otherwise `data` is walked again here. Asked only for USAGE_TYPES lines, so the scan
   * of every other line pays one boolean test per `data` key. Duplicate keys: the last one wins.
   */
  usageNumbers(): boolean {
    const u = this.usage;
    if (this.usageInStage2) {
      const o = this.stage2!.res;
      for (let j = 0; j < 8; j++) u[j] = o[R_USAGE + j]!;
      this.usageInStage2 = false;
    } else if (!this.usageNoted) {
      this.clearUsage();
      if (this.dataStart < 0) return false;
      const buf = this.buf;
      let i = this.ws(this.dataStart + 1);
      if (buf[i] === 125) return false;
      for (;;) {
        const ks = i + 1;
        i = this.str(i);
        const slot = (this.strFlags & F_ESCAPE) === 0 ? usageSlot(this.dv, ks, i - 1 - ks) : -1;
        i = this.ws(this.ws(i) + 1); // after the colon
        i = slot >= 0 ? this.usageValue(slot - 8, i) : this.value(i, 1);
        i = this.ws(i);
        if (buf[i] !== 44) break; // the closing brace
        i = this.ws(i + 1);
      }
    }
    return u[0]! >= 0 || u[2]! >= 0 || u[4]! >= 0 || u[6]! >= 0;
  }

  private clearUsage(): void {
    const u = this.usage;
    u[0] = u[1] = u[2] = u[3] = u[4] = u[5] = u[6] = u[7] = -1;
  }

  /** The value at `i` of usage key `k` (0..6, even): its bounds noted when it is a number. Returns the index after it. */
  private usageValue(k: number, i: number): number {
    const c = this.buf[i]!;
    const e = this.value(i, 1);
    const num = e >= 0 && (c === 45 || (c >= 48 && c <= 57));
    this.usage[k] = num ? i : -1;
    this.usage[k + 1] = num ? e : -1;
    return e;
  }

  /** Any JSON value at `i`; returns the index after it, or -1 when it is not valid JSON. */
  private value(i: number, depth: number): number {
    const buf = this.buf;
    const end = this.end;
    if (i >= end) return -1;
    const c = buf[i]!;
    if (c === 34) return this.str(i);
    if (c === 123 || c === 91) {
      if (depth >= MAX_DEPTH) return -1;
      const close = c === 123 ? 125 : 93;
      i = this.ws(i + 1);
      if (i < end && buf[i] === close) return i + 1;
      for (;;) {
        if (c === 123) {
          if (i >= end || buf[i] !== 34) return -1;
          i = this.str(i);
          if (i < 0) return -1;
          i = this.ws(i);
          if (i >= end || buf[i] !== 58) return -1;
          i = this.ws(i + 1);
        }
        i = this.value(i, depth + 1);
        if (i < 0) return -1;
        i = this.ws(i);
        if (i >= end) return -1;
        const d = buf[i];
        if (d === 44) {
          i = this.ws(i + 1);
          continue;
        }
        if (d === close) return i + 1;
        return -1;
      }
    }
    if (c === 45 || (c >= 48 && c <= 57)) return this.num(i);
    if (c === 116) return this.lit(i, 'true');
    if (c === 102) return this.lit(i, 'false');
    if (c === 110) return this.lit(i, 'null');
    return -1;
  }

  private lit(i: number, word: string): number {
    if (i + word.length > this.end) return -1;
    for (let j = 1; j < word.length; j++) if (this.buf[i + j] !== word.charCodeAt(j)) return -1;
    return i + word.length;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private num(i: number): number {
    const buf = this.buf;
    const end = this.end;
    if (buf[i] === 45) i++;
    if (i >= end) return -1;
    let c = buf[i]!;
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while (i < end && (c = buf[i]!) >= 48 && c <= 57) i++;
    } else return -1;
    if (i < end && buf[i] === 46) {
      i++;
      const s = i;
      while (i < end && (c = buf[i]!) >= 48 && c <= 57) i++;
      if (i === s) return -1;
    }
    if (i < end && (buf[i] === 101 || buf[i] === 69)) {
      i++;
      if (i < end && (buf[i] === 43 || buf[i] === 45)) i++;
      const s = i;
      while (i < end && (c = buf[i]!) >= 48 && c <= 57) i++;
      if (i === s) return -1;
    }
    return i;
  }

  /**
   * A string starting at the quote `i`; returns the index after its closing quote, or -1. Sets
   * strFlags. With stage 1's marks it goes from one marked byte to the next in a step: the bytes
   * between are plain ASCII (not a quote, backslash or control byte), which it would otherwise
   * step over one by one; the marked bytes are taken the same way either way.
   */
  private str(i: number): number {
    const buf = this.buf;
    const end = this.end;
    const marks = this.marks;
    let flags = 0;
    i++;
    for (;;) {
      if (marks !== null) i = nextMarked(marks, i);
      if (i >= end) return -1;
      const c = buf[i]!;
      if (c === 34) {
        this.strFlags = flags;
        return i + 1;
      }
      if (c === 92) {
        flags |= F_ESCAPE;
        i = this.escape(i);
        if (i < 0) return -1;
        continue;
      }
      if (c < 32) return -1;
      if (c >= 128) flags |= F_NON_ASCII;
      i++;
    }
  }

  /** The escape at the backslash `i` (inside a string); returns the index after it, or -1 when it is not valid JSON. */
  private escape(i: number): number {
    const buf = this.buf;
    const end = this.end;
    if (i + 1 >= end) return -1;
    const e = buf[i + 1];
    if (e === 117 /* u */) {
      if (i + 5 >= end) return -1;
      for (let j = i + 2; j < i + 6; j++) {
        const h = buf[j]!;
        if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
      }
      return i + 6;
    }
    if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
    return i + 2;
  }

  /** `turn` as parseLine reads it: a non-negative integer, else -1 (ignored). */
  private turnValue(): number {
    const buf = this.buf;
    let v = 0;
    let plain = this.turnEnd - this.turnStart <= 9;
    for (let j = this.turnStart; plain && j < this.turnEnd; j++) {
      const d = buf[j]! - 48;
      if (d < 0 || d > 9) plain = false;
      else v = v * 10 + d;
    }
    if (!plain) v = Number(latin1(buf, this.turnStart, this.turnEnd));
    return Number.isInteger(v) && v >= 0 ? v : -1;
  }

  /** Mirrors parseTimestampFast on bytes (ASCII checked by the scanner); odd forms go to it as text. */
  private timestamp(s: number, e: number): number {
    const buf = this.buf;
    const n = e - s;
    if (n < 20 || buf[s + 10] !== 84) return parseTimestampFast(latin1(buf, s, e));
    const dv = this.dv;
    const w0 = dv.getInt32(s, true);
    const w1 = dv.getInt32(s + 4, true);
    const w2 = dv.getInt32(s + 8, true);
    const w3 = dv.getInt32(s + 12, true);
    if (!(this.prefixValid && w0 === this.prefix0 && w1 === this.prefix1 && w2 === this.prefix2 && w3 === this.prefix3)) {
      const full = parseTimestampUs(latin1(buf, s, s + 16) + ':00Z');
      if (Number.isNaN(full)) return parseTimestampFast(latin1(buf, s, e));
      this.prefix0 = w0;
      this.prefix1 = w1;
      this.prefix2 = w2;
      this.prefix3 = w3;
      this.prefixValid = true;
      this.prefixMs = full / 1000;
      this.prefixGiven = false;
    }
    if (e - s === 27 && buf[s + 19] === 46 && buf[s + 26] === 90) {
      // our writer's form, `...:SS.ffffffZ`: two and six digits at fixed places, no loop
      const s1 = buf[s + 17]! - 48;
      const s2 = buf[s + 18]! - 48;
      const f0 = buf[s + 20]! - 48;
      const f1 = buf[s + 21]! - 48;
      const f2 = buf[s + 22]! - 48;
      const f3 = buf[s + 23]! - 48;
      const f4 = buf[s + 24]! - 48;
      const f5 = buf[s + 25]! - 48;
      // each digit as an unsigned value <= 9 (a byte below '0' wraps to a large number)
      const digits = s1 >>> 0 <= 5 && s2 >>> 0 <= 9 && f0 >>> 0 <= 9 && f1 >>> 0 <= 9 && f2 >>> 0 <= 9 && f3 >>> 0 <= 9 && f4 >>> 0 <= 9 && f5 >>> 0 <= 9;
      if (buf[s + 16] === 58 && digits) {
        // the microseconds summed first, then added in one step (one rounding, as below)
        const micros = ((((f0 * 10 + f1) * 10 + f2) * 10 + f3) * 10 + f4) * 10 + f5;
        return (this.prefixMs + (s1 * 10 + s2) * 1000) * 1000 + micros;
      }
    }
    const s1 = buf[s + 17]! - 48;
    const s2 = buf[s + 18]! - 48;
    if (buf[s + 16] !== 58 || !(s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9)) return parseTimestampFast(latin1(buf, s, e));
    const secMs = (s1 * 10 + s2) * 1000;
    let i = s + 19;
    let micros = 0;
    if (buf[i] === 46) {
      i++;
      let digits = 0;
      while (i < e) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) break;
        if (digits < 6) micros = micros * 10 + d;
        digits++;
        i++;
      }
      if (digits === 0) return parseTimestampFast(latin1(buf, s, e));
      for (; digits < 6; digits++) micros *= 10;
    }
    const rest = e - i;
    let offsetMin = 0;
    if (rest === 1 && (buf[i] === 90 || buf[i] === 122)) {
      offsetMin = 0;
    } else if (rest === 6 && buf[i + 3] === 58) {
      const sign = buf[i]!;
      const h = (buf[i + 1]! - 48) * 10 + (buf[i + 2]! - 48);
      const m = (buf[i + 4]! - 48) * 10 + (buf[i + 5]! - 48);
      if (!(h >= 0 && h <= 99 && m >= 0 && m <= 99) || (sign !== 43 && sign !== 45)) return parseTimestampFast(latin1(buf, s, e));
      offsetMin = (sign === 45 ? -1 : 1) * (h * 60 + m);
    } else {
      return parseTimestampFast(latin1(buf, s, e));
    }
    return (this.prefixMs + secMs - offsetMin * 60_000) * 1000 + micros;
  }
}

/** The first marked byte at or after `i` (special-bytes.ts; the padding after the buffer is marked, so there is one). */
function nextMarked(marks: Uint32Array, i: number): number {
  let w = i >>> 5;
  let m = marks[w]! >>> (i & 31);
  if (m !== 0) return i + 31 - Math.clz32(m & -m);
  do m = marks[++w]!;
  while (m === 0);
  return (w << 5) + 31 - Math.clz32(m & -m);
}

/** Node's Buffer has it (the fast path of `toString('latin1', s, e)`), its typings do not. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}
const decoder = new TextDecoder('latin1');
/** ASCII bytes to a string (the scanner has checked they are ASCII). */
export function latin1(buf: Uint8Array, s: number, e: number): string {
  return Buffer.isBuffer(buf) ? (buf as unknown as Latin1Slicer).latin1Slice(s, e) : decoder.decode(buf.subarray(s, e));
}

/** Bit n set: some usage type is n bytes long (all are ASCII and shorter than 32). */
const USAGE_TYPE_LENGTHS = [...USAGE_TYPES].reduce((m, t) => m | (1 << t.length), 0);

/** Each USAGE_TYPES name as words (`keyWords`), compared by `usageTypeAt`. */
const USAGE_TYPE_WORDS = [...USAGE_TYPES].map((t) => {
  const { at, words } = keyWords(t);
  return { n: t.length, at: Int32Array.from(at), words: Int32Array.from(words) };
});

/** The `n` bytes at `s` (n >= 4: every usage type is longer) are one of USAGE_TYPES: a few word compares. */
function usageTypeAt(dv: DataView, s: number, n: number): boolean {
  next: for (const t of USAGE_TYPE_WORDS) {
    if (t.n !== n) continue;
    for (let j = 0; j < t.at.length; j++) if (dv.getInt32(s + t.at[j]!, true) !== t.words[j]) continue next;
    return true;
  }
  return false;
}

/** Top-level keys the scanner reads (topKey). */
const T_OTHER = 0;
const T_TIMESTAMP = 1;
const T_TYPE = 2;
const T_SESSION = 3;
const T_DATA = 4;
const T_TURN = 5;
const T_SPAN = 6;

/** Which field the top-level key `[ks, ks + klen)` is: by its length, then its words. */
function topKey(dv: DataView, ks: number, klen: number): number {
  switch (klen) {
    case 4: {
      const w = dv.getInt32(ks, true);
      return w === 0x61746164 /* data */ ? T_DATA : w === 0x6e727574 /* turn */ ? T_TURN : T_OTHER;
    }
    case 7:
      return key2(dv, ks, 3, 0x6e617073, 0x64695f6e) /* span_id */ ? T_SPAN : T_OTHER;
    case 9:
      return key3(dv, ks, 4, 5, 0x656d6974, 0x6d617473, 0x706d6174) /* timestamp */ ? T_TIMESTAMP : T_OTHER;
    case 10:
      if (key3(dv, ks, 4, 6, 0x6e657665, 0x79745f74, 0x65707974) /* event_type */) return T_TYPE;
      return key3(dv, ks, 4, 6, 0x73736573, 0x5f6e6f69, 0x64695f6e) /* session_id */ ? T_SESSION : T_OTHER;
    default:
      return T_OTHER;
  }
}

/** The slot in LineScanner.labels of a key of `data` (provider, model, voice, transport), or -1. */
function labelSlot(dv: DataView, ks: number, klen: number): number {
  switch (klen) {
    case 5: {
      if (key2(dv, ks, 1, 0x65646f6d, 0x6c65646f) /* model */) return 2;
      return key2(dv, ks, 1, 0x63696f76, 0x6563696f) /* voice */ ? 4 : -1;
    }
    case 8:
      return key2(dv, ks, 4, 0x766f7270, 0x72656469) /* provider */ ? 0 : -1;
    case 9:
      return key3(dv, ks, 4, 5, 0x6e617274, 0x726f7073, 0x74726f70) /* transport */ ? 6 : -1;
    default:
      return -1;
  }
}

/** The slot (8 + 2 x index in USAGE_NUMBERS) of a usage key `[ks, ks + klen)`, or -1. */
function usageSlot(dv: DataView, ks: number, klen: number): number {
  switch (klen) {
    case 7:
      return key2(dv, ks, 3, 0x69647561, 0x735f6f69) /* audio_s */ ? 10 : -1;
    case 10:
      return key3(dv, ks, 4, 6, 0x72616863, 0x65746361, 0x73726574) /* characters */ ? 8 : -1;
    case 12:
      return key3(dv, ks, 4, 8, 0x75706e69, 0x6f745f74, 0x736e656b) /* input_tokens */ ? 12 : -1;
    case 13:
      return key4(dv, ks, 4, 8, 9, 0x7074756f, 0x745f7475, 0x6e656b6f, 0x736e656b) /* output_tokens */ ? 14 : -1;
    default:
      return -1;
  }
}

/*
 * Keys are compared as little-endian words of their bytes (read through the scanner's DataView),
 * written as literals at the call sites: words at offsets 0, 4, 8, ... and, when the length is not
 * a multiple of 4, one more ending at the key's last byte (overlapping). One to four word compares
 * instead of a loop over a key string's bytes (that loop was ~17 % of the scan). The caller has
 * checked the key's length, so every byte read is inside it. `keyWords` computes such words
 * (the literals were written from it).
 */
function keyWords(key: string): { at: number[]; words: number[] } {
  const b = Buffer.from(key, 'latin1');
  const at: number[] = [];
  for (let o = 0; o + 4 <= b.length; o += 4) at.push(o);
  if (b.length % 4 !== 0) at.push(b.length - 4);
  return { at, words: at.map((o) => b.readInt32LE(o)) };
}
function key2(dv: DataView, ks: number, o1: number, w0: number, w1: number): boolean {
  return dv.getInt32(ks, true) === w0 && dv.getInt32(ks + o1, true) === w1;
}
function key3(dv: DataView, ks: number, o1: number, o2: number, w0: number, w1: number, w2: number): boolean {
  return dv.getInt32(ks, true) === w0 && dv.getInt32(ks + o1, true) === w1 && dv.getInt32(ks + o2, true) === w2;
}
function key4(dv: DataView, ks: number, o1: number, o2: number, o3: number, w0: number, w1: number, w2: number, w3: number): boolean {
  return dv.getInt32(ks, true) === w0 && dv.getInt32(ks + o1, true) === w1 && dv.getInt32(ks + o2, true) === w2 && dv.getInt32(ks + o3, true) === w3;
}


/** A number the scanner validated as JSON: plain digits read in place, anything else as JSON.parse reads it (Number() of a JSON number is the same). */
export function jsonNumber(buf: Uint8Array, s: number, e: number): number {
  // digits with at most one '.', 15 significant digits at most: the integer of all digits is
  // exact, and one division by an exact power of ten rounds once, as Number() does (Clinger's fast path)
  if (e - s <= 16) {
    let v = 0;
    let digits = 0;
    let point = -1;
    let i = s;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c === 46 && point < 0 && i > s) point = digits;
      else if (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        digits++;
      } else break;
    }
    if (i === e && digits <= 15 && point !== digits) return point < 0 ? v : v / POW10[digits - point]!;
  }
  return Number(latin1(buf, s, e));
}
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
