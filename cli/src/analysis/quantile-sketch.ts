import { createRequire } from 'node:module';
import type { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
import type { Distribution } from './quantiles.js';
import { RELATIVE_ERROR } from './store-options.js';

export { RELATIVE_ERROR };

/**
 * A quantile sketch with a guaranteed relative error: DDSketch (Masson, Rim and Lee,
 * VLDB 2019), from Datadog's `@datadog/sketches-js` (Apache-2.0, no dependencies). Values fall
 * into logarithmic buckets (γ = (1 + α) / (1 - α)); a bucket is represented by a value within
 * α of every value in it, so a quantile read from the buckets is within α of the true order
 * statistic. Memory: one number per bucket between the smallest and largest value, at most
 * BIN_LIMIT (32 KiB), whatever the number of values.
 *
 * What this wrapper adds to the library:
 * - quantiles the way the exact path computes them (R-7: linear interpolation between the
 *   order statistics at floor(h) and ceil(h), h = (n - 1) p), each read from the buckets and
 *   clamped to [min, max]. The library returns the bucket of floor(h) only, which can be far
 *   from R-7 where neighbouring values are far apart (a heavy tail). With both ends within α of
 *   their order statistics, the interpolation is within α of R-7's value for non-negative data;
 *   where the two ends differ in sign (differences ours - theirs), within α of the larger of
 *   them in size (an absolute bound: the result itself may be near 0).
 * - count, sum, min and max kept exactly beside the buckets (the library keeps them too; sum
 *   here is compensated, so a mean over millions of values keeps its last digits).
 */
/** Buckets per sign, at most: with α = 0.5% they cover a ratio of e^41 between the smallest and largest value (1 µs to beyond any latency), so in practice nothing collapses. */
const BIN_LIMIT = 4096;

/**
 * The library (CommonJS, 14 modules) is loaded with the first sketch: most runs stay within the
 * exact budget and never need it, and a command's start does not pay for it (issue 14 item 6).
 */
let Sketch: typeof LogCollapsingLowestDenseDDSketch | undefined;
function newSketch(): LogCollapsingLowestDenseDDSketch {
  Sketch ??= (createRequire(import.meta.url)('@datadog/sketches-js') as typeof import('@datadog/sketches-js')).LogCollapsingLowestDenseDDSketch;
  return new Sketch({ relativeAccuracy: RELATIVE_ERROR, binLimit: BIN_LIMIT });
}

export class QuantileSketch {
  private readonly dd = newSketch();
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Neumaier-compensated sum. */
  private sum = 0;
  private carry = 0;

  accept(v: number): void {
    this.dd.accept(v);
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const t = this.sum + v;
    this.carry += Math.abs(this.sum) >= Math.abs(v) ? this.sum - t + v : v - t + this.sum;
    this.sum = t;
  }

  get mean(): number | null {
    return this.count === 0 ? null : (this.sum + this.carry) / this.count;
  }

  /** The value of rank `r` (0-based, integer) read from the buckets, within α of the true one. */
  private atRank(r: number): number {
    const dd = this.dd;
    const neg = dd.negativeStore.count;
    let v: number;
    if (r < neg) v = -dd.mapping.value(dd.negativeStore.keyAtRank(neg - 1 - r));
    else if (r < neg + dd.zeroCount) v = 0;
    else v = dd.mapping.value(dd.store.keyAtRank(r - neg - dd.zeroCount));
    return Math.min(this.max, Math.max(this.min, v));
  }

  /**
   * The p-quantile, within α of the exact one for non-negative values (else within α of the
   * larger in size of the two order statistics it interpolates between); null when empty.
   */
  quantile(p: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const vlo = this.atRank(lo);
    if (lo === h || lo + 1 >= n) return vlo;
    const vhi = this.atRank(lo + 1);
    return vlo + (h - lo) * (vhi - vlo);
  }

  distribution(): Distribution {
    const n = this.count;
    return {
      count: n,
      mean: this.mean,
      min: n === 0 ? null : this.min,
      max: n === 0 ? null : this.max,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
    };
  }

  /**
   * Each non-empty bucket as [representative value (clamped to min..max), count], in increasing
   * order of value (zeros and negative values included).
   */
  buckets(): [number, number][] {
    const dd = this.dd;
    const out: [number, number][] = [];
    const clamp = (v: number): number => Math.min(this.max, Math.max(this.min, v));
    const neg = dd.negativeStore;
    for (let i = neg.bins.length - 1; i >= 0; i--) if (neg.bins[i]! > 0) out.push([clamp(-dd.mapping.value(i + neg.offset)), neg.bins[i]!]);
    if (dd.zeroCount > 0) out.push([clamp(0), dd.zeroCount]);
    const pos = dd.store;
    for (let i = 0; i < pos.bins.length; i++) if (pos.bins[i]! > 0) out.push([clamp(dd.mapping.value(i + pos.offset)), pos.bins[i]!]);
    return out;
  }

  /** Values above `t`, counted by bucket (a bucket holding `t` counts by its representative value). */
  countAbove(t: number): number {
    let n = 0;
    for (const [v, c] of this.buckets()) if (v > t) n += c;
    return n;
  }
}
