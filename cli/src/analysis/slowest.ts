/**
 * The K slowest samples of a series with their details (start, session, turn, labels), in
 * bounded memory: a min-heap of K entries, so a sample costs O(log K) only when it beats the
 * K-th slowest so far. Ties go to the earlier sample (lower `seq`), as the stable sort of the
 * exact path orders them.
 */
export interface SlowSample {
  seconds: number;
  /** The sample's position in its series (arrival order): the tie-break. */
  seq: number;
  startUs: number;
  sessionId: string | null;
  turn: number;
  /** Label ids (the store's label table) by label key. */
  labels: Map<string, number>;
  /** voice_to_voice only: its segments, by name, as the derivation emitted them after it. */
  parts?: Record<string, number>;
}

/** a is slower than b (or as slow and earlier). */
function before(a: SlowSample, b: SlowSample): boolean {
  return a.seconds > b.seconds || (a.seconds === b.seconds && a.seq < b.seq);
}

export class Slowest {
  private readonly heap: SlowSample[] = [];

  constructor(readonly k: number) {}

  /** Whether a sample of `seconds` at `seq` would be kept (without building it). */
  wouldKeep(seconds: number, seq: number): boolean {
    const h = this.heap;
    if (h.length < this.k) return true;
    if (this.k === 0) return false;
    const root = h[0]!;
    return seconds > root.seconds || (seconds === root.seconds && seq < root.seq);
  }

  /** Keeps `s` if it is among the K slowest so far; true when kept. */
  offer(s: SlowSample): boolean {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(s);
      this.up(h.length - 1);
      return true;
    }
    if (this.k === 0 || !before(s, h[0]!)) return false;
    h[0] = s;
    this.down(0);
    return true;
  }

  /** The kept samples, slowest first. */
  sorted(): SlowSample[] {
    return [...this.heap].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  get size(): number {
    return this.heap.length;
  }

  /** Whether every sample offered is still kept (fewer than K came). */
  get full(): boolean {
    return this.heap.length >= this.k;
  }

  /** The fastest kept sample (the K-th slowest once full); undefined when none is kept. */
  get fastest(): SlowSample | undefined {
    return this.heap[0];
  }

  // the root is the entry every other one comes before (the fastest kept)
  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[m]!, h[l]!)) m = l;
      if (r < h.length && before(h[m]!, h[r]!)) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
