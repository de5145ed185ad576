import { withCapacity } from './typed-arrays.js';

/**
 * Interns byte strings (ASCII) without making a JS string per lookup: an open-addressing hash
 * table over a byte arena. The parse worker uses it for event types, session ids and label sets
 * (for the whole file) and span ids (per batch), so a string is built only the first time its
 * bytes are seen.
 */
export class ByteInterner {
  private arena: Uint8Array = new Uint8Array(1 << 12);
  private arenaView: DataView = new DataView(this.arena.buffer);
  private arenaLen = 0;
  private slots: Int32Array;
  // entries' columns: room for slots.length / 2 entries (the table's largest load)
  private offs: Int32Array;
  private lens: Int32Array;
  private hashes: Int32Array;
  /** Number of entries; ids are 0..size-1 in order of first sight. */
  size = 0;

  /** `slotBits` >= 1: 2^slotBits slots to start with, doubled with the entries' room. */
  constructor(slotBits = 9) {
    this.slots = new Int32Array(1 << slotBits);
    this.offs = new Int32Array(1 << (slotBits - 1));
    this.lens = new Int32Array(1 << (slotBits - 1));
    this.hashes = new Int32Array(1 << (slotBits - 1));
    // each is replaced as it grows: stored a second time on purpose (see ChurnMap's constructor)
    this.arena = this.arena.slice();
    this.arenaView = new DataView(this.arena.buffer);
    this.offs = this.offs.slice();
    this.lens = this.lens.slice();
    this.hashes = this.hashes.slice();
    this.slots = this.slots.slice();
  }

  /** Forgets every entry (ids start again at 0). */
  clear(): void {
    this.slots.fill(0);
    this.arenaLen = 0;
    this.size = 0;
  }

  /**
   * The id of `buf[s, e)`; a new id (=== size - 1 afterwards) when first seen. `view` is a
   * DataView over the same bytes as `buf` (same indices; the parse worker passes its scanner's):
   * the hash and the comparison read 4 bytes at a time through it.
   */
  id(buf: Uint8Array, s: number, e: number, view: DataView = viewOf(buf)): number {
    // hash of the length and every byte, taken 4 bytes to a word: one multiply per word, not
    // per byte (equal hashes are compared in full). Every word, not just the ends: ids that
    // share their first 4 and last 12 bytes (`sess0000012345_same-suffix!`) all had one hash,
    // and each lookup walked all of them (60k lines: 4.7 s against 0.6 s)
    const len = e - s;
    let h = Math.imul(0x811c9dc5 ^ len, 16777619);
    if (len < 4) for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 16777619);
    else {
      // words at s and e - 4, and e - 8, e - 12 when the string is longer than 8, 12 (overlaps
      // are harmless): every byte of a string up to 16 bytes; the words between beyond that
      h = Math.imul(h ^ view.getInt32(s, true), 16777619);
      for (let i = s + 4; i < e - 12; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 16777619);
      if (len > 12) h = Math.imul(h ^ view.getInt32(e - 12, true), 16777619);
      if (len > 8) h = Math.imul(h ^ view.getInt32(e - 8, true), 16777619);
      h = Math.imul(h ^ view.getInt32(e - 4, true), 16777619);
      h ^= h >>> 15;
    }
    const slots = this.slots;
    const mask = slots.length - 1;
    let j = h & mask;
    for (;;) {
      const v = slots[j]!;
      if (v === 0) break;
      const k = v - 1;
      if (this.hashes[k] === h && this.lens[k] === len && this.same(k, buf, s, len, view)) return k;
      j = (j + 1) & mask;
    }
    // new entry
    const k = this.size++;
    if (this.arenaLen + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaLen + len));
      a.set(this.arena.subarray(0, this.arenaLen));
      this.arena = a;
      this.arenaView = new DataView(a.buffer);
    }
    // a loop, not set(buf.subarray()): a Buffer's subarray is a new FastBuffer made through
    // Node's subclass constructor, ~25 ms over the 1M file for ids of ~16-22 bytes
    const arena = this.arena;
    const at = this.arenaLen;
    for (let i = 0; i < len; i++) arena[at + i] = buf[s + i]!;
    this.offs[k] = this.arenaLen;
    this.lens[k] = len;
    this.hashes[k] = h;
    this.arenaLen += len;
    slots[j] = k + 1;
    // one rare path for both the columns' growth and the rehash: the growth came early in a
    // file, before TurboFan compiled this, but the first rehash (on its own path then) came later
    // and deoptimised it for want of feedback
    if (this.size === this.offs.length) this.grow();
    return k;
  }

  /** Entry `k` (of length `len`) holds `buf[s, s + len)`: compared a word at a time. */
  private same(k: number, buf: Uint8Array, s: number, len: number, view: DataView): boolean {
    const arena = this.arenaView;
    const o = this.offs[k]!;
    if (len < 4) {
      const a = this.arena;
      for (let i = 0; i < len; i++) if (a[o + i] !== buf[s + i]) return false;
      return true;
    }
    // the last word overlaps the one before when len is not a multiple of 4: no byte loop for
    // the rest, whose first use came after TurboFan had compiled this without its feedback (a deopt)
    for (let i = 0; i + 4 < len; i += 4) if (arena.getInt32(o + i, true) !== view.getInt32(s + i, true)) return false;
    return arena.getInt32(o + len - 4, true) === view.getInt32(s + len - 4, true);
  }

  /** Room for twice the entries, twice the slots (the load stays at most a half). */
  private grow(): void {
    this.offs = withCapacity(this.offs, this.offs.length * 2);
    this.lens = withCapacity(this.lens, this.lens.length * 2);
    this.hashes = withCapacity(this.hashes, this.hashes.length * 2);
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let k = 0; k < this.size; k++) {
      let j = this.hashes[k]! & mask;
      while (slots[j] !== 0) j = (j + 1) & mask;
      slots[j] = k + 1;
    }
    this.slots = slots;
  }
}

/** A DataView over the bytes of `buf`, index for index. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
