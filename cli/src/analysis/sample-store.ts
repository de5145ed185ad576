import { type MetricSample, type SampleLabels, SEGMENT_NAMES, SERIES_NAMES, type SeriesName } from 'voicemode-events/metrics';
import { distribution, type Distribution } from './quantiles.js';
import { EXACT_SAMPLES, LABEL_KEYS, NO_LABEL, RELATIVE_ERROR, type LabelKey } from './store-options.js';
import { SketchedSeries } from './sketched-series.js';
import type { SlowSample } from './slowest.js';
import { OUTLIER_METRICS } from './thresholds.js';

/**
 * Metric samples kept in columns of typed arrays (not one object each): 8 bytes per sample for
 * the value, plus the optional columns a command asks for. Strings (session ids, providers, ...)
 * are interned in tables. A series keeps its samples one by one up to the exact budget
 * (EXACT_SAMPLES, exact percentiles); past it, they go into quantile sketches and the columns
 * are dropped, so memory stays bounded at any input size (sketched-series.ts).
 */
export { EXACT_SAMPLES, LABEL_KEYS, NO_LABEL, type LabelKey } from './store-options.js';

export interface StoreColumns {
  /** start time, session and turn of each sample (anomaly details, report). */
  details?: boolean;
  /** label columns to keep (provider is always kept: anomalies are per provider). */
  labels?: readonly LabelKey[];
  /** Samples per series kept one by one (exact percentiles); beyond, the series is sketched. Default EXACT_SAMPLES. */
  exactSamples?: number | undefined;
}

/**
 * Series whose slowest samples and days are kept with their details once sketched
 * (sketched-series.ts): the latency metrics outliers are judged on, which the report's slowest
 * turns and daily charts read too. They also keep a uniform sample per provider, details or not
 * (the outlier rule's median and MAD).
 */
export const DETAILED_SERIES: ReadonlySet<SeriesName> = new Set<SeriesName>(OUTLIER_METRICS);

/**
 * An empty array already of the elements kind that holds objects. `[]` starts as an array of
 * small integers and changes kind at its first push: optimised code that had only seen that
 * first push (every column's first chunk) met the second chunk's push (sample 32,768 of a
 * series, mid-run) on an array of the other kind and was deoptimised (issue 14, round 7).
 */
function noChunks<C>(): C[] {
  const a: C[] = [undefined as C];
  a.length = 0;
  return a;
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
  private chunks: (T | Uint8Array | Uint16Array)[] = noChunks();
  private flat: T | undefined;
  /** Elements written (highest index + 1). */
  private len = 0;
  private makeChunk: (n: number) => T | Uint8Array | Uint16Array;
  /** The largest value the chunks' element type holds. */
  private max: number;

  /**
   * `narrow`: a column of small non-negative integers (label ids, turns) whose chunks start as
   * bytes and are widened (16 bits, then `make`'s type) by the first value that needs it.
   */
  constructor(
    private readonly make: (n: number) => T,
    narrow = false,
  ) {
    this.makeChunk = narrow ? (n) => new Uint8Array(n) : make;
    this.max = narrow ? 0xff : Number.POSITIVE_INFINITY;
  }

  set(i: number, v: number): void {
    // a value the chunks cannot hold exactly (too large, negative, fractional) widens them
    if (!(v <= this.max && v >= 0 && Math.floor(v) === v)) this.widen(v);
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
    if (this.max === Number.POSITIVE_INFINITY) return; // already `make`'s type
    if (v >= 0 && v <= 0xffff && Math.floor(v) === v) {
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
      this.chunks = noChunks();
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
  /** Samples added (exact or sketched). */
  n = 0;
  seconds = new Growable((n) => new Float64Array(n));
  startUs: Growable<Float64Array> | undefined;
  session: Growable<Uint32Array> | undefined;
  /**
   * Narrow (bytes, widened as values need) up to doubles, not 32-bit integers: a line's turn is
   * any non-negative integer (exact to 2^53), which an Int32Array wrapped above 2^31 - 1.
   */
  turn: Growable<Float64Array> | undefined;
  readonly labels = new Map<LabelKey, Growable<Uint32Array>>();
  readonly labelKeys: readonly LabelKey[];
  /**
   * The label columns in `labelKeys` order, and per key the last value added and its id: the
   * samples of a series mostly repeat the label of the one before, and a string compare (the
   * reader's strings are shared) is cheaper than the interner's Map lookup (SampleStore.add).
   */
  labelCols: Growable<Uint32Array>[] = [];
  readonly lastLabel: (string | undefined)[];
  readonly lastLabelId: Uint32Array;
  /** Set once the series has more samples than the exact budget: the columns are then empty. */
  sketch: SketchedSeries | undefined;

  constructor(cols: StoreColumns) {
    if (cols.details) {
      this.startUs = new Growable((n) => new Float64Array(n));
      this.session = new Growable((n) => new Uint32Array(n));
      this.turn = new Growable((n) => new Float64Array(n), true);
    }
    this.labelKeys = [...new Set<LabelKey>(['provider', ...(cols.labels ?? [])])];
    for (const k of this.labelKeys) this.labels.set(k, new Growable((n) => new Uint32Array(n), true));
    this.labelCols = this.labelKeys.map((k) => this.labels.get(k)!);
    this.lastLabel = this.labelKeys.map(() => undefined);
    this.lastLabelId = new Uint32Array(this.labelKeys.length);
  }

  /** Statistics of the series: exact, or from its sketch (percentiles within RELATIVE_ERROR). */
  distribution(): Distribution {
    return this.sketch ? this.sketch.all.distribution() : distribution(this.values());
  }

  /** Statistics per value of label `key` (label id -> statistics), for the ids that have samples. */
  groups(key: LabelKey): Map<number, Distribution> {
    const out = new Map<number, Distribution>();
    if (this.sketch) {
      for (const [id, sk] of this.sketch.byLabel(key)) out.set(id, sk.distribution());
      return out;
    }
    const col = this.labels.get(key);
    if (col === undefined) return out;
    const picked = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const id = col.get(i);
      let list = picked.get(id);
      if (list === undefined) picked.set(id, (list = []));
      list.push(this.seconds.get(i));
    }
    for (const [id, list] of picked) out.set(id, distribution(Float64Array.from(list)));
    return out;
  }

  /** Drops the exact columns after their samples went into `sketch`. */
  dropColumns(sketch: SketchedSeries): void {
    this.sketch = sketch;
    this.seconds = new Growable((n) => new Float64Array(n));
    if (this.startUs) {
      this.startUs = undefined;
      this.session = undefined;
      this.turn = undefined;
    }
    for (const k of this.labelKeys) this.labels.set(k, new Growable((n) => new Uint32Array(n), true));
    this.labelCols = this.labelKeys.map((k) => this.labels.get(k)!);
  }

  /** A copy of the values (safe to sort); only while the series is exact. */
  values(): Float64Array {
    if (this.sketch) throw new Error('the series is sketched: its values are no longer kept one by one');
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
  readonly exactSamples: number;
  /** The latest voice_to_voice sample kept among the slowest of a sketched series: its segments follow it (derive.ts emits the six together). */
  private reply: SlowSample | undefined;
  /** Label ids of the sample being added (reused: no allocation per sample). */
  private readonly ids = new Int32Array(LABEL_KEYS.length);

  constructor(readonly cols: StoreColumns = {}) {
    this.exactSamples = cols.exactSamples ?? EXACT_SAMPLES;
    // no details for the reply's parts: a part's start, session and turn are its voice_to_voice's
    for (const m of SERIES_NAMES) this.metrics.set(m, new MetricColumn({ ...cols, details: cols.details === true && !SEGMENT_SET.has(m) }));
    this.labelValues.id(NO_LABEL); // id 0
  }

  /** The series whose figures come from sketches (approximate percentiles), in SERIES_NAMES order. */
  sketched(): SeriesName[] {
    return SERIES_NAMES.filter((m) => this.metrics.get(m)!.sketch !== undefined);
  }

  add(s: MetricSample): void {
    this.addFields(s.metric, s.seconds, s.startUs, s.sessionId, s.turn, s.labels);
  }

  /** A sample given as its fields (the deriver's SampleSink: no object per sample). */
  addFields(metric: SeriesName, seconds: number, startUs: number, sessionId: string | null, turn: number, labels: SampleLabels): void {
    const c = this.metrics.get(metric)!;
    const i = c.n++;
    if (c.sketch === undefined && i >= this.exactSamples) this.toSketch(metric, c);
    if (c.sketch) {
      this.addSketched(metric, seconds, startUs, sessionId, turn, labels, c, i);
      return;
    }
    c.seconds.set(i, seconds);
    if (c.startUs) {
      c.startUs.set(i, startUs);
      c.session!.set(i, this.sessions.id(sessionId ?? ''));
      c.turn!.set(i, turn);
    }
    const keys = c.labelKeys;
    for (let k = 0; k < keys.length; k++) {
      const v = labels[keys[k]!];
      let id = 0;
      if (v !== undefined) {
        if (v === c.lastLabel[k]) id = c.lastLabelId[k]!;
        else {
          id = this.labelValues.id(v);
          c.lastLabel[k] = v;
          c.lastLabelId[k] = id;
        }
      }
      c.labelCols[k]!.set(i, id);
    }
  }

  column(m: SeriesName): MetricColumn {
    return this.metrics.get(m)!;
  }

  /** A sample of a sketched series. */
  private addSketched(
    metric: SeriesName,
    seconds: number,
    startUs: number,
    sessionId: string | null,
    turn: number,
    labels: SampleLabels,
    c: MetricColumn,
    seq: number,
  ): void {
    const ids = this.ids;
    for (let k = 0; k < c.labelKeys.length; k++) {
      const v = labels[c.labelKeys[k]!];
      ids[k] = v === undefined ? 0 : this.labelValues.id(v);
    }
    const kept = c.sketch!.add(seconds, ids, seq, startUs, sessionId ?? '', turn);
    if (metric === 'voice_to_voice') {
      this.reply = kept;
      if (kept) kept.parts = {};
    } else if (this.reply !== undefined && SEGMENT_SET.has(metric)) {
      this.reply.parts![metric] = seconds;
      if (metric === LAST_SEGMENT) this.reply = undefined;
    }
  }

  /** The series outgrew the exact budget: its samples so far go into sketches, its columns go. */
  private toSketch(metric: SeriesName, c: MetricColumn): void {
    const details = c.startUs !== undefined && DETAILED_SERIES.has(metric);
    const sk = new SketchedSeries(c.labelKeys, details, DETAILED_SERIES.has(metric));
    const n = c.n - 1; // the sample being added is not in the columns
    const labelCols = c.labelKeys.map((k) => c.labels.get(k)!);
    const ids = this.ids;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < labelCols.length; k++) ids[k] = labelCols[k]!.get(i);
      const kept = details
        ? sk.add(c.seconds.get(i), ids, i, c.startUs!.get(i), this.sessions.values[c.session!.get(i)] ?? '', c.turn!.get(i))
        : sk.add(c.seconds.get(i), ids, i, 0, '', 0);
      if (kept && metric === 'voice_to_voice') {
        // its segments are at the same index of their columns (still exact: they come after it)
        kept.parts = {};
        for (const seg of SEGMENT_NAMES) kept.parts[seg] = this.metrics.get(seg)!.seconds.get(i);
      }
    }
    c.dropColumns(sk);
  }
}

/** Which series are approximate, and how (`quantiles` of summary --json, the report's note). */
export interface QuantileMode {
  /** Series past the exact budget (their percentiles come from sketches), in SERIES_NAMES order. */
  sketched: SeriesName[];
  relativeError: number;
  exactSamples: number;
}

export function quantileMode(store: SampleStore): QuantileMode {
  return { sketched: store.sketched(), relativeError: RELATIVE_ERROR, exactSamples: store.exactSamples };
}

const SEGMENT_SET: ReadonlySet<SeriesName> = new Set<SeriesName>(SEGMENT_NAMES);
const LAST_SEGMENT = SEGMENT_NAMES[SEGMENT_NAMES.length - 1];
