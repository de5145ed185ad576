import { METRIC_NAMES, type MetricName, type MetricSample } from '../metrics/derive.js';

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

class Growable<T extends Float64Array | Uint32Array | Int32Array> {
  arr: T;
  constructor(private readonly make: (n: number) => T) {
    this.arr = make(1024);
  }
  set(i: number, v: number): void {
    if (i >= this.arr.length) {
      const next = this.make(this.arr.length * 2);
      next.set(this.arr);
      this.arr = next;
    }
    this.arr[i] = v;
  }
  view(n: number): T {
    return this.arr.subarray(0, n) as T;
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
    for (const k of new Set<LabelKey>(['provider', ...(cols.labels ?? [])])) this.labels.set(k, new Growable((n) => new Uint32Array(n)));
  }

  /** A copy of the values (safe to sort). */
  values(): Float64Array {
    return this.seconds.view(this.n).slice();
  }

  label(key: LabelKey): Uint32Array | undefined {
    return this.labels.get(key)?.view(this.n);
  }
}

export class SampleStore {
  readonly metrics = new Map<MetricName, MetricColumn>();
  readonly sessions = new Interner();
  readonly labelValues = new Interner();

  constructor(readonly cols: StoreColumns = {}) {
    for (const m of METRIC_NAMES) this.metrics.set(m, new MetricColumn(cols));
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

  column(m: MetricName): MetricColumn {
    return this.metrics.get(m)!;
  }
}
