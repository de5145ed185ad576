import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { medianDeviation, medianSorted } from '../../src/analysis/quantiles.js';

/** What the outliers' MAD was before: the deviations built, sorted and their median taken (d3-array, R-7). */
function byDeviationsSorted(sorted: Float64Array, m: number): number {
  return medianSorted(sorted.map((v) => Math.abs(v - m)).sort());
}

function agrees(values: number[], m?: number): void {
  const sorted = Float64Array.from(values).sort();
  const median = m ?? medianSorted(sorted);
  expect(Object.is(medianDeviation(sorted, median), byDeviationsSorted(sorted, median))).toBe(true);
}

describe('medianDeviation', () => {
  it('is bit for bit the median of the sorted deviations (odd and even counts, ties, any centre)', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 5_000_000 }).map((us) => us / 1e6),
      fc.constantFrom(0, 0.25, 1, Number.POSITIVE_INFINITY),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
    );
    fc.assert(fc.property(fc.array(value, { minLength: 2, maxLength: 300 }), (vs) => agrees(vs)), { numRuns: 2000 });
    // a centre that is not the median (the walk must still meet the middle ranks)
    fc.assert(
      fc.property(fc.array(value, { minLength: 2, maxLength: 200 }), fc.double({ min: -10, max: 20, noNaN: true }), (vs, m) => agrees(vs, m)),
      { numRuns: 1000 },
    );
  });

  it('sides the ranks right when the middle falls in one run only', () => {
    agrees([1, 1, 1, 1, 9]); // every deviation but one from the left of the centre
    agrees([0, 5, 5, 5, 5, 5]);
    agrees([0, 0, 0, 10, 10, 10]);
    agrees([0, 1, 2, 3, 100, 200, 300, 400]);
    agrees([0.5, 0.5]);
  });

  it('falls back for fewer than two values, NaN and a centre that is not finite', () => {
    agrees([0.3]);
    agrees([0.1, 0.2, Number.NaN]);
    agrees([0.1, 0.2, 0.3, 0.4, Number.NaN]); // NaN beyond the centre, which is finite
    agrees([0.1, 0.2, 0.4], Number.POSITIVE_INFINITY);
    agrees([0.1, 0.2, 0.4], Number.NaN);
  });
});
