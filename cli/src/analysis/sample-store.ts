import { type MetricSample, SERIES_NAMES, type SeriesName } from 'voicemode-events/metrics';

/**
 * Metric samples kept in columns of typed arrays (not one object each), so a year of logs
 * fits in memory: 8 bytes per sample for the value, plus the optional columns a command
 * asks for. Strings (session ids, providers, ...) are interned in tables.
 */
export type LabelKey = 'provider' | 'model' | 'voice' | 'transport';
export const LABEL_KEYS: readonly LabelKey[] = ['provider', 'model', 'voice', 'transport'];
export const NO_LABEL = '(none)';

export interface StoreColumns {
  /** start time, session and turn of each sample (anomaly details, report). */
  details?: boolean;
  /** label columns to keep (provider is always kept: anomalies are per provider). */
  labels?: readonly LabelKey[];
}

/** Elements per chunk of a Growable (32 Ki: 256 KiB of Float64). */
const CHUNK_SHIFT = 15;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

/**
 * A growing typed array, written in order while a run is read and read whole at the end.
 * It grows by fixed-size chunks (not by doubling and copying): no spare capacity beyond one
 * chunk and no moment with the old and the doubled array both alive, which on a large input
 * was several MB of peak memory per column. The first read (`arr` / `view`) joins the chunks
 * into one array of the exact length, kept from then on; `get` and `copy` read the chunks.
 */
class Growable<T extends Float64Array | Uint32Array | Int32Array> {
  private chunks: (T | Uint8Array | Uint16Array)[] = [];
  private flat: T | undefined;
  /** Elements written (highest index + 1). */
  private len = 0;
  private makeChunk: (n: number) => T | Uint8Array | Uint16Array;
  /** The largest value the chunks' element type holds. */
  private max: number;

  /**
   * `narrow`: a column of small non-negative integers (label ids) whose chunks start as bytes
   * and are widened (16, then 32 bits) by the first value that needs it.
   */
  constructor(
    private readonly make: (n: number) => T,
    narrow = false,
  ) {
    this.makeChunk = narrow ? (n) => new Uint8Array(n) : make;
    this.max = narrow ? 0xff : Number.POSITIVE_INFINITY;
  }

  set(i: number, v: number): void {
    if (v > this.max) this.widen(v);
    if (i >= this.len) this.len = i + 1;
    if (this.flat !== undefined) {
      if (i < this.flat.length) {
        this.flat[i] = v;
        return;
      }
      this.split();
    }
    const c = i >>> CHUNK_SHIFT;
    while (c >= this.chunks.length) this.chunks.push(this.makeChunk(CHUNK));
    this.chunks[c]![i & CHUNK_MASK] = v;
  }

  private widen(v: number): void {
    if (v <= 0xffff) {
      this.makeChunk = (n) => new Uint16Array(n);
      this.max = 0xffff;
    } else {
      this.makeChunk = this.make;
      this.max = Number.POSITIVE_INFINITY;
    }
    this.chunks = this.chunks.map((c) => {
      const w = this.makeChunk(CHUNK);
      w.set(c);
      return w;
    });
  }

  /** The elements written so far as one array (joined on first use). */
  get arr(): T {
    if (this.flat === undefined) {
      const flat = this.make(this.len);
      for (let c = 0; c < this.chunks.length; c++) {
        const from = c << CHUNK_SHIFT;
        if (from >= this.len) break;
        const chunk = this.chunks[c]!;
        flat.set(from + CHUNK <= this.len ? chunk : chunk.subarray(0, this.len - from), from);
      }
      this.flat = flat;
      this.chunks = [];
    }
    return this.flat;
  }

  view(n: number): T {
    return this.arr.subarray(0, n) as T;
  }

  /** Element `i` (< elements written), without joining the chunks. */
  get(i: number): number {
    const f = this.flat;
    if (f !== undefined) return f[i]!;
    return this.chunks[i >>> CHUNK_SHIFT]![i & CHUNK_MASK]!;
  }

  /** A new array of the first `n` elements (n <= elements written), without joining the chunks. */
  copy(n: number): T {
    if (this.flat !== undefined) return this.flat.slice(0, n) as T;
    const out = this.make(n);
    for (let from = 0, c = 0; from < n; from += CHUNK, c++) {
      const chunk = this.chunks[c]!;
      out.set(from + CHUNK <= n ? chunk : chunk.subarray(0, n - from), from);
    }
    return out;
  }

  /** Back to chunks, to write past the joined array (not done in practice: reads come last). */
  private split(): void {
    const flat = this.flat!;
    this.flat = undefined;
    this.chunks = [];
    for (let from = 0; from < flat.length; from += CHUNK) {
      const chunk = this.makeChunk(CHUNK);
      chunk.set(flat.subarray(from, Math.min(flat.length, from + CHUNK)));
      this.chunks.push(chunk);
    }
  }
}

export class Interner {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  id(v: string): number {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(v);
      this.index.set(v, i);
    }
    return i;
  }
}

export class MetricColumn {
  n = 0;
  readonly seconds = new Growable((n) => new Float64Array(n));
  readonly startUs: Growable<Float64Array> | undefined;
  readonly session: Growable<Uint32Array> | undefined;
  readonly turn: Growable<Int32Array> | undefined;
  readonly labels = new Map<LabelKey, Growable<Uint32Array>>();

  constructor(cols: StoreColumns) {
    if (cols.details) {
      this.startUs = new Growable((n) => new Float64Array(n));
      this.session = new Growable((n) => new Uint32Array(n));
      this.turn = new Growable((n) => new Int32Array(n));
    }
    for (const k of new Set<LabelKey>(['provider', ...(cols.labels ?? [])])) this.labels.set(k, new Growable((n) => new Uint32Array(n), true));
  }

  /** A copy of the values (safe to sort). */
  values(): Float64Array {
    return this.seconds.copy(this.n);
  }

  /** The label ids of every sample, as one array (joins that column's chunks for good). */
  label(key: LabelKey): Uint32Array | undefined {
    return this.labels.get(key)?.view(this.n);
  }

  /** The label id of sample `i` (no joining: for a pass over the samples). */
  labelAt(key: LabelKey, i: number): number {
    return this.labels.get(key)!.get(i);
  }

  /** The label column itself, for a pass over the samples without joining its chunks. */
  labelColumn(key: LabelKey): Pick<Growable<Uint32Array>, 'get' | 'copy'> | undefined {
    return this.labels.get(key);
  }
}

export class SampleStore {
  readonly metrics = new Map<SeriesName, MetricColumn>();
  readonly sessions = new Interner();
  readonly labelValues = new Interner();

  constructor(readonly cols: StoreColumns = {}) {
    for (const m of SERIES_NAMES) this.metrics.set(m, new MetricColumn(cols));
    this.labelValues.id(NO_LABEL); // id 0
  }

  add(s: MetricSample): void {
    const c = this.metrics.get(s.metric)!;
    const i = c.n++;
    c.seconds.set(i, s.seconds);
    if (c.startUs) {
      c.startUs.set(i, s.startUs);
      c.session!.set(i, this.sessions.id(s.sessionId ?? ''));
      c.turn!.set(i, s.turn);
    }
    for (const [k, g] of c.labels) {
      const v = s.labels[k];
      g.set(i, v === undefined ? 0 : this.labelValues.id(v));
    }
  }

  column(m: SeriesName): MetricColumn {
    return this.metrics.get(m)!;
  }
}
