import { QuantileSketch } from './quantile-sketch.js';
import { Reservoir } from './reservoir.js';
import { Slowest, type SlowSample } from './slowest.js';
import type { LabelKey } from './sample-store.js';

import { SLOWEST_PER_PROVIDER } from './store-options.js';

export { SLOWEST_PER_PROVIDER };
const DAY_US = 86_400_000_000;

/**
 * One series past its exact budget: what the commands read of it, in memory that no longer
 * grows with the number of samples (sample-store.ts switches a series here).
 * - `all`: a quantile sketch of every value (count, mean, min, max exact);
 * - `byLabel(key)`: a sketch per label value of each kept label (summary --by, report breakdown,
 *   outliers per provider): memory grows with the distinct providers / models, not samples;
 * - with details (report, anomalies), for the latency series: the SLOWEST_PER_PROVIDER slowest
 *   samples per provider with their start, session and turn (outlier lists, the report's slowest
 *   turns and replies), and a sketch per UTC day (the report's daily percentiles);
 * - for the outlier metrics (`sampled`), a seeded uniform sample per provider (reservoir.ts,
 *   RESERVOIR_SIZE values at most): the outlier rule's median and MAD.
 */
export class SketchedSeries {
  readonly all = new QuantileSketch();
  /** Per kept label (in `keys` order): label id -> sketch. */
  private readonly perLabel: Map<number, QuantileSketch>[];
  readonly daily: Map<number, QuantileSketch> | undefined;
  readonly slowest: Map<number, Slowest> | undefined;
  /** Provider id -> uniform sample of its values (outlier metrics only). */
  readonly samples: Map<number, Reservoir> | undefined;
  /** Where 'provider' is in `keys` (always kept). */
  private readonly providerAt: number;

  constructor(
    readonly keys: readonly LabelKey[],
    details: boolean,
    sampled = false,
  ) {
    this.perLabel = keys.map(() => new Map());
    this.providerAt = keys.indexOf('provider');
    if (sampled) this.samples = new Map();
    if (details) {
      this.daily = new Map();
      this.slowest = new Map();
    }
  }

  /** Label id -> sketch for label `key` (empty when the label is not kept). */
  byLabel(key: LabelKey): Map<number, QuantileSketch> {
    const i = this.keys.indexOf(key);
    return i < 0 ? new Map() : this.perLabel[i]!;
  }

  /**
   * One sample; `ids[i]` is its id for label `keys[i]` (0: none; the array is reused by the
   * caller). Returns the slow-sample entry when one was kept (nothing is allocated otherwise).
   */
  add(seconds: number, ids: ArrayLike<number>, seq: number, startUs: number, sessionId: string, turn: number): SlowSample | undefined {
    this.all.accept(seconds);
    for (let i = 0; i < this.perLabel.length; i++) {
      const byId = this.perLabel[i]!;
      let sk = byId.get(ids[i]!);
      if (sk === undefined) byId.set(ids[i]!, (sk = new QuantileSketch()));
      sk.accept(seconds);
    }
    const provider = this.providerAt < 0 ? 0 : ids[this.providerAt]!;
    if (this.samples !== undefined) {
      let r = this.samples.get(provider);
      if (r === undefined) this.samples.set(provider, (r = new Reservoir()));
      r.accept(seconds);
    }
    if (this.daily === undefined) return undefined;
    const day = Math.floor(startUs / DAY_US);
    let d = this.daily.get(day);
    if (d === undefined) this.daily.set(day, (d = new QuantileSketch()));
    d.accept(seconds);
    let top = this.slowest!.get(provider);
    if (top === undefined) this.slowest!.set(provider, (top = new Slowest(SLOWEST_PER_PROVIDER)));
    if (!top.wouldKeep(seconds, seq)) return undefined;
    const labels = new Map<string, number>();
    for (let i = 0; i < this.keys.length; i++) labels.set(this.keys[i]!, ids[i]!);
    const entry: SlowSample = { seconds, seq, startUs, sessionId, turn, labels };
    top.offer(entry);
    return entry;
  }

  /** The k slowest kept across providers, slowest first (ties: earlier first). */
  slowestOverall(k: number): SlowSample[] {
    const all: SlowSample[] = [];
    for (const top of this.slowest?.values() ?? []) all.push(...top.sorted().slice(0, k));
    return all.sort((a, b) => b.seconds - a.seconds || a.seq - b.seq).slice(0, k);
  }

  /** UTC day (days since 1970) -> its sketch, days in order. */
  days(): [number, QuantileSketch][] {
    return [...(this.daily ?? new Map<number, QuantileSketch>())].sort((a, b) => a[0] - b[0]);
  }
}

export { DAY_US };
