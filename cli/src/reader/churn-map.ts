/**
 * A Map for keys that come and go all the time (open sessions, open spans) in a long run.
 *
 * V8 grows and shrinks a Map by rehashing into a new table allocated in the *same generation*
 * as the old table. A Map made at the start of a run gets its table promoted to the old
 * generation during the first scavenges (little happens then); from then on every rehash of
 * that Map allocates its new table in old space, and each dropped table keeps what it
 * referenced alive (young session state, span ids) until the next full GC. On a 1 GB input
 * that was tens of MB of old-space garbage. This wrapper starts a fresh Map (young table, same
 * entries in the same order) every `RENEW_SETS` insertions, or as many as it holds, so its
 * tables are short-lived like the entries.
 */
const RENEW_SETS = 8192;
/**
 * The first renewal, early: its branch then runs before V8 optimises the callers (the
 * analyzer's), which otherwise had no feedback for it and were compiled again when it was first
 * taken at RENEW_SETS (issue 14, round 4).
 */
const FIRST_RENEW_SETS = 64;

export class ChurnMap<K, V> {
  private map = new Map<K, V>();
  private sets = 0;
  private renewAt = FIRST_RENEW_SETS;

  constructor() {
    // Stored a second time on purpose (so are IdSet's and ByteInterner's growing arrays): V8
    // takes a field stored only once as a constant, and when it first changes (here the first
    // renewal, mid-run) throws away the optimised code of every function that read it (seven
    // of the analysis's in `summary`, compiled again). Stored twice, it is mutable from the start.
    this.map = new Map<K, V>();
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (++this.sets >= this.renewAt && this.sets >= this.map.size) {
      this.sets = 0;
      this.renewAt = RENEW_SETS;
      this.map = new Map(this.map);
    }
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
