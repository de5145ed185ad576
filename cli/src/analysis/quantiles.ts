import { quantileSorted } from 'd3-array';
import { sortValues } from './sort-values.js';

/**
 * Distribution statistics of one metric. Quantiles use d3-array's `quantileSorted`: linear
 * interpolation between the closest ranks (R-7 / Excel PERCENTILE.INC / NumPy's default):
 * for p in [0,1] and n sorted values, h = (n - 1) * p, and the result is
 * x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]).
 */
export interface Distribution {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export const EMPTY_DISTRIBUTION: Readonly<Distribution> = {
  count: 0,
  mean: null,
  min: null,
  max: null,
  p50: null,
  p90: null,
  p95: null,
  p99: null,
};

/** The values' sum, in their order (a function of its own: see deviationsTo). */
function sumOf(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}

/** Statistics of `values`, which is sorted in place (a Float64Array sorts numerically). */
export function distribution(values: Float64Array): Distribution {
  const n = values.length;
  if (n === 0) return { ...EMPTY_DISTRIBUTION };
  sortValues(values);
  const sum = sumOf(values);
  const q = (p: number): number => quantileSorted(values as unknown as number[], p) as number;
  return { count: n, mean: sum / n, min: values[0]!, max: values[n - 1]!, p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) };
}

/** Median of sorted values (R-7, same as above). */
export function medianSorted(values: Float64Array): number {
  return quantileSorted(values as unknown as number[], 0.5) as number;
}

/**
 * The median (R-7, as `medianSorted`) of |v - m| over the sorted `values`, without building or
 * sorting the deviations: the values below m give deviations that fall as the values rise, those
 * from m up deviations that rise, so the deviations are two sorted runs, and a merge walked up
 * to the middle finds the two closest ranks. The outliers' MAD (anomalies.ts): the same result,
 * bit for bit, as `medianSorted(sortValues(values.map((v) => Math.abs(v - m))))`, which it falls
 * back to for fewer than two values, a NaN among them or m not finite (the runs' order
 * would not hold).
 */
export function medianDeviation(sorted: Float64Array, m: number): number {
  const n = sorted.length;
  if (n < 2 || !Number.isFinite(m) || Number.isNaN(sorted[n - 1]!)) return medianSorted(sortValues(sorted.map((v) => Math.abs(v - m))));
  // the first value at or above m: the left run is below it, walked downwards
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < m) lo = mid + 1;
    else hi = mid;
  }
  const h = (n - 1) * 0.5;
  const i0 = Math.floor(h);
  const v0 = deviationsTo(sorted, m, lo - 1, lo, i0);
  // d3-array's quantileSorted between the two ranks (quantile.js: value0 + (value1 - value0) * (i - i0))
  return v0 + (nextDeviation[0]! - v0) * (h - i0);
}

/** The deviation after the one deviationsTo returns (rank i0 + 1). */
const nextDeviation = new Float64Array(1);

/**
 * Walks the deviations from `m` in increasing order as a merge of the two runs (left of `b`
 * downwards from `a`, from `b` upwards): returns the one at rank `i0`, and leaves the next in
 * `nextDeviation`. A function of its own: V8 compiles the long walk on the spot (OSR), and code
 * after it in the same function had no feedback yet, which deoptimised it (issue 14, round 7).
 */
function deviationsTo(sorted: Float64Array, m: number, a: number, b: number, i0: number): number {
  const n = sorted.length;
  let v0 = 0;
  let v1 = 0;
  for (let r = 0; r <= i0 + 1; r++) {
    // both sides read every step (a side past its end counts as Infinity and is never taken): the
    // reads at the ends ran only in the walk's last steps, after V8 had compiled it, and deoptimised it
    const da = a >= 0 ? Math.abs(sorted[a]! - m) : Number.POSITIVE_INFINITY;
    const db = b < n ? Math.abs(sorted[b]! - m) : Number.POSITIVE_INFINITY;
    let d: number;
    if (a >= 0 && (b >= n || da <= db)) {
      d = da;
      a--;
    } else {
      d = db;
      b++;
    }
    if (r === i0) v0 = d;
    else if (r === i0 + 1) v1 = d;
  }
  nextDeviation[0] = v1;
  return v0;
}
