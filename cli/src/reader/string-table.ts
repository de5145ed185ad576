import { ByteInterner, viewOf } from './byte-interner.js';
import { latin1 } from './scan-line.js';

/** The longest string copied into StringTable's reused scratch buffer (longer ones get a buffer of their own). */
const SCRATCH_MAX = 4096;

/**
 * Strings by number: ids in order of first sight; `out` gets each new string once. Lookups by
 * bytes (the fast path: no JS string unless new) or by string (the reference path).
 */
export class StringTable {
  private readonly bytes: ByteInterner;
  private gidOf: Int32Array = new Int32Array(256);
  private readonly others = new Map<string, number>();
  private scratch = Buffer.allocUnsafe(256);
  private scratchView = viewOf(this.scratch);
  count = 0;
  out: string[] = emptyStrings();
  /** Bumped by reset(): a LastLookup of an earlier generation is stale. */
  generation = 0;

  constructor(slotBits: number) {
    this.bytes = new ByteInterner(slotBits);
  }

  reset(): void {
    this.generation++;
    this.bytes.clear();
    this.others.clear();
    this.count = 0;
    this.out = emptyStrings();
  }

  /** The id of `buf[s, e)`; `view` a DataView over the same bytes (ByteInterner.id). */
  fromBytes(buf: Buffer, s: number, e: number, view: DataView = viewOf(buf), text?: string): number {
    const before = this.bytes.size;
    const k = this.bytes.id(buf, s, e, view);
    if (k < before) return this.gidOf[k]!;
    if (k >= this.gidOf.length) {
      const g = new Int32Array(this.gidOf.length * 2);
      g.set(this.gidOf);
      this.gidOf = g;
    }
    const gid = this.count++;
    this.gidOf[k] = gid;
    this.out.push(text ?? latin1(buf, s, e));
    return gid;
  }

  /**
   * The id of `v`. An ASCII string takes the id its bytes have (`fromBytes`), whatever its
   * length: a span id over 4,096 characters met once by the scanner and once through `parseLine`
   * had two ids in one batch (review of issue 14 round 8). Only the scratch buffer is bounded: a
   * longer string is copied into a buffer of its own, not kept.
   */
  fromString(v: string): number {
    let ascii = true;
    for (let i = 0; ascii && i < v.length; i++) if (v.charCodeAt(i) > 127) ascii = false;
    if (ascii) {
      if (v.length > SCRATCH_MAX) {
        const own = Buffer.from(v, 'latin1');
        return this.fromBytes(own, 0, own.length, viewOf(own), v);
      }
      if (this.scratch.length < v.length) {
        this.scratch = Buffer.allocUnsafe(v.length * 2);
        this.scratchView = viewOf(this.scratch);
      }
      this.scratch.write(v, 0, 'latin1');
      return this.fromBytes(this.scratch, 0, v.length, this.scratchView, v);
    }
    let gid = this.others.get(v);
    if (gid === undefined) {
      gid = this.count++;
      this.others.set(v, gid);
      this.out.push(v);
    }
    return gid;
  }
}

/**
 * An empty string array whose elements are already of the kind strings need: a `[]` starts as
 * an array of small integers, and the first push of a string changes its map, which deoptimised
 * the code that had only seen the other map (StringTable.fromBytes inlined in the worker's
 * `line`) after every reset.
 */
export function emptyStrings(): string[] {
  const a = [''];
  a.pop();
  return a;
}

/**
 * The last string of one field (session id, span id) looked up in a table, by its place in the
 * chunk's buffer. Consecutive lines often repeat it (two thirds of the lines carry the session
 * id of the line before, a third its span id): comparing the bytes in place then replaces the
 * hash, the probe and the comparison against the table's arena. Only for chunk buffers, which
 * are never written while they are read: a new Buffer object per chunk (a plain file's chunks are
 * fresh views of the worker's one read buffer, so a view of an earlier chunk never matches), per
 * gzip piece, per joined line.
 */
export class LastLookup {
  private buf: Buffer | undefined;
  private s = 0;
  private len = -1;
  private gid = -1;
  private generation = -1;

  constructor(private readonly table: StringTable) {}

  /** The id of `buf[s, e)`; `view` a DataView over the same bytes (ByteInterner.id). */
  id(buf: Buffer, s: number, e: number, view: DataView = viewOf(buf)): number {
    const len = e - s;
    if (len === this.len && buf === this.buf && this.generation === this.table.generation) {
      const p = this.s;
      // the last 4 bytes as one word, overlapping the words before (not a byte loop for the
      // rest: the first length that is not a multiple of 4 reached it only once TurboFan had
      // compiled this without feedback for it, and deoptimised it); bytes only below 4 bytes
      let same = true;
      if (len >= 4) {
        let j = 0;
        for (; j + 4 < len; j += 4) if (view.getInt32(p + j, true) !== view.getInt32(s + j, true)) break;
        same = j + 4 >= len && view.getInt32(p + len - 4, true) === view.getInt32(s + len - 4, true);
      } else for (let j = 0; j < len; j++) if (buf[p + j] !== buf[s + j]) same = false;
      if (same) return this.gid;
    }
    const gid = this.table.fromBytes(buf, s, e, view);
    this.buf = buf;
    this.s = s;
    this.len = len;
    this.gid = gid;
    this.generation = this.table.generation;
    return gid;
  }
}
