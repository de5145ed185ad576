import { emptyStrings, LastLookup, StringTable } from './string-table.js';
import { latin1 } from './scan-line.js';
import type { ScanStage2 } from './scan-wasm.js';

/**
 * The span ids of one batch of the parse worker (ids in order of first sight, `out` their strings
 * in that order). While stage 2 writes the batch's rows itself (ScanStage2.rows), its own table in
 * the module's memory is the one table of the batch: the rows it writes take their ids there, and
 * the lines the JavaScript finishes look theirs up there too (their bytes copied to the module's
 * span key). The module keeps ASCII ids of at most `spanKeyBytes` bytes while its table has room;
 * any other span (not ASCII, longer, or the table full: equal strings always take the same road)
 * is kept here by string, with an id from the module's counter. So the ids are those a single
 * StringTable gives, in the same order (the spans new in a `rows` call are added, with their
 * strings, before anything else is looked up: `addNew`). Without stage 2 (or after a trap), the
 * batch's table is a StringTable here, as before.
 */
export class SpanIds {
  private readonly table = new StringTable(9); // small: its first growth comes early (ByteInterner.id)
  private readonly last = new LastLookup(this.table);
  /** The spans the module does not keep, by string (rows on). */
  private readonly kept = new Map<string, number>();
  /** The module keeping this batch's ids, or null: `table` does. */
  private w: ScanStage2 | null = null;
  /** The batch's span ids' strings, by id. */
  out: string[] = emptyStrings();

  /** A new batch: its ids kept by `w` (rows on), or by the table here (null). */
  reset(w: ScanStage2 | null): void {
    this.w = w;
    if (w === null) {
      this.table.reset();
      this.out = this.table.out;
    } else {
      w.spanReset();
      this.kept.clear();
      this.out = emptyStrings();
    }
  }

  /** The module trapped: the rest of the batch keeps its ids here, the ids given so far the same. */
  fallBack(): void {
    if (this.w === null) return;
    this.w = null;
    const out = this.out;
    this.table.reset();
    for (const v of out) this.table.fromString(v);
    this.out = this.table.out;
  }

  /** The id of the span `buf[s, e)` (ASCII, no escapes: a scanned line's); `view` a DataView over `buf`. */
  ofBytes(buf: Buffer, s: number, e: number, view: DataView): number {
    const w = this.w;
    if (w === null) return this.last.id(buf, s, e, view);
    const n = e - s;
    if (n <= w.spanKeyBytes) {
      const mem = w.bytes;
      const at = w.spanKeyAt;
      for (let i = 0; i < n; i++) mem[at + i] = buf[s + i]!;
      const id = w.spanKey(n);
      if (id >= 0) {
        if (id === this.out.length) this.out.push(latin1(buf, s, e));
        return id;
      }
    }
    return this.keep(w, latin1(buf, s, e));
  }

  /** The id of the span `v` (the reference path's). */
  ofString(v: string): number {
    const w = this.w;
    if (w === null) return this.table.fromString(v);
    let ascii = v.length <= w.spanKeyBytes;
    for (let i = 0; ascii && i < v.length; i++) if (v.charCodeAt(i) > 127) ascii = false;
    if (ascii) {
      const mem = w.bytes;
      const at = w.spanKeyAt;
      for (let i = 0; i < v.length; i++) mem[at + i] = v.charCodeAt(i);
      const id = w.spanKey(v.length);
      if (id >= 0) {
        if (id === this.out.length) this.out.push(v);
        return id;
      }
    }
    return this.keep(w, v);
  }

  /** The `count` spans new in the last `rows` call, at the chunk positions (start, end) in `ranges`: their strings, in one pass. */
  addNew(buf: Buffer, ranges: Int32Array, count: number): void {
    const out = this.out;
    for (let j = 0; j < count; j++) out.push(latin1(buf, ranges[2 * j]!, ranges[2 * j + 1]!));
  }

  private keep(w: ScanStage2, v: string): number {
    let id = this.kept.get(v);
    if (id === undefined) {
      id = w.spanNext();
      this.kept.set(v, id);
      this.out.push(v);
    }
    return id;
  }
}
