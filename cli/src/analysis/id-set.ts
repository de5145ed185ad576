/**
 * An exact set of strings (session ids) in a few flat arrays: the characters in one arena, a
 * 32-bit hash and the arena offset per entry, an open-addressing table of entry numbers. Every
 * session of a run must be remembered to count sessions and conversations exactly; as a `Set`
 * of strings that was ~110 bytes a session (the string object kept alive, the hash table's
 * entry, its growth), 17 MB of live heap at 10M events (141k sessions) for the two sets, which
 * also raised the garbage V8 lets pile up before a full collection (~23 MB of peak RSS,
 * docs/performance.md). Here: the characters (1 byte each while all are Latin-1, else 2),
 * 4 bytes of offset, 4 of hash, 1 of flag, 8-16 of table, each array grown by doubling:
 * 40-60 bytes for a 22-character id, off the V8 heap; and one set serves both counts (`mark`).
 */
const EMPTY = -1;

export class IdSet {
  private arena: Uint8Array | Uint16Array = new Uint8Array(1 << 12);
  private arenaLen = 0;
  /** Entry i: its characters are arena[offs[i] .. offs[i + 1]) (offs[size] = arenaLen). */
  private offs: Int32Array = new Int32Array(256);
  private hashes: Int32Array = new Int32Array(256);
  /** One flag per entry (`mark`). */
  private flags: Uint8Array = new Uint8Array(256);
  private table: Int32Array = new Int32Array(512).fill(EMPTY);
  size = 0;

  constructor() {
    // each is replaced as it grows: stored a second time on purpose (see ChurnMap's constructor)
    this.arena = this.arena.slice();
    this.offs = this.offs.slice();
    this.hashes = this.hashes.slice();
    this.flags = this.flags.slice();
    this.table = this.table.slice();
  }

  /** Adds `id`; true when it was not there yet. */
  add(id: string): boolean {
    return this.entry(id) < 0;
  }

  /**
   * Adds `id` if needed and sets its flag; true when the flag was not set yet. (One set serves
   * two counts: the analysis's sessions, and the conversation linker's sessions of our format.)
   */
  mark(id: string): boolean {
    let e = this.entry(id);
    if (e < 0) e = -e - 1;
    if (this.flags[e] === 1) return false;
    this.flags[e] = 1;
    return true;
  }

  has(id: string): boolean {
    return this.find(id, hash(id)) >= 0;
  }

  /** The entry of `id` (>= 0), or -(entry + 1) when it was added now. */
  private entry(id: string): number {
    const h = hash(id);
    const e = this.find(id, h);
    if (e >= 0) return e;
    this.append(id, h);
    if (this.size * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.place(this.size - 1, h);
    return -this.size;
  }

  private find(id: string, h: number): number {
    const table = this.table;
    const mask = table.length - 1;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const e = table[j]!;
      if (e === EMPTY) return -1;
      if (this.hashes[e] === h && this.equals(e, id)) return e;
    }
  }

  private equals(e: number, id: string): boolean {
    const from = this.offs[e]!;
    const to = e + 1 === this.size ? this.arenaLen : this.offs[e + 1]!;
    if (to - from !== id.length) return false;
    const a = this.arena;
    for (let i = 0; i < id.length; i++) if (a[from + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private append(id: string, h: number): void {
    const n = this.size;
    if (n + 1 >= this.offs.length) {
      this.offs = grow(this.offs, this.offs.length * 2);
      this.hashes = grow(this.hashes, this.hashes.length * 2);
      const f = new Uint8Array(this.flags.length * 2);
      f.set(this.flags);
      this.flags = f;
    }
    let wide = this.arena instanceof Uint16Array;
    if (!wide) for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0xff) wide = true;
    if (wide && !(this.arena instanceof Uint16Array)) {
      const a = new Uint16Array(this.arena.length);
      a.set(this.arena);
      this.arena = a;
    }
    if (this.arenaLen + id.length > this.arena.length) {
      let cap = this.arena.length * 2;
      while (this.arenaLen + id.length > cap) cap *= 2;
      const a = this.arena instanceof Uint16Array ? new Uint16Array(cap) : new Uint8Array(cap);
      a.set(this.arena.subarray(0, this.arenaLen));
      this.arena = a;
    }
    const a = this.arena;
    for (let i = 0; i < id.length; i++) a[this.arenaLen + i] = id.charCodeAt(i);
    this.offs[n] = this.arenaLen;
    this.hashes[n] = h;
    this.arenaLen += id.length;
    this.size = n + 1;
  }

  private place(e: number, h: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let j = h & mask;
    while (table[j] !== EMPTY) j = (j + 1) & mask;
    table[j] = e;
  }

  private rehash(cap: number): void {
    this.table = new Int32Array(cap).fill(EMPTY);
    for (let e = 0; e < this.size; e++) this.place(e, this.hashes[e]!);
  }
}

/** FNV-1a over the UTF-16 code units, then mixed (murmur3's finaliser) so low bits spread. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
