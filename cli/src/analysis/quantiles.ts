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

/** Statistics of `values`, which is sorted in place (a Float64Array sorts numerically). */
export function distribution(values: Float64Array): Distribution {
  const n = values.length;
  if (n === 0) return { ...EMPTY_DISTRIBUTION };
  sortValues(values);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const q = (p: number): number => quantileSorted(values as unknown as number[], p) as number;
  return { count: n, mean: sum / n, min: values[0]!, max: values[n - 1]!, p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) };
}

/** Median of sorted values (R-7, same as above). */
export function medianSorted(values: Float64Array): number {
  return quantileSorted(values as unknown as number[], 0.5) as number;
}
