import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortValues } from '../../src/analysis/sort-values.js';

/** The radix sort must give exactly what `Float64Array#sort` gives (the outputs are compared byte for byte). */
function bits(a: Float64Array): number[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length * 2)];
}

function agrees(values: number[]): void {
  const expected = Float64Array.from(values).sort();
  const got = Float64Array.from(values);
  const out = sortValues(got);
  expect(out).toBe(got); // in place, as sort()
  expect(bits(got)).toEqual(bits(expected));
}

describe('sortValues', () => {
  it('sorts long arrays of non-negative values (the radix path) exactly as sort()', () => {
    // metric values: microsecond pairs / 1e6, duplicates, zeros, a few huge or tiny ones
    const value = fc.oneof(
      fc.integer({ min: 0, max: 10_000_000 }).map((us) => us / 1e6),
      fc.constantFrom(0, 0.5, 1e-310, Number.MIN_VALUE, 1e300, Number.POSITIVE_INFINITY),
      fc.double({ min: 0, noNaN: true }).filter((v) => !Object.is(v, -0)),
    );
    fc.assert(fc.property(fc.array(value, { minLength: 2048, maxLength: 6000 }), (vs) => agrees(vs)), { numRuns: 40 });
  });

  it('keeps digits that every value shares (skipped passes) and orders values differing in one pass only', () => {
    const base = 1.25;
    const vs = Array.from({ length: 5000 }, (_, i) => base + ((i * 7919) % 5000) * 2 ** -52);
    agrees(vs);
    agrees(Array.from({ length: 3000 }, () => 0.125)); // every digit shared
  });

  it('falls back to sort() for negatives, -0, NaN and short arrays', () => {
    const mixed = Array.from({ length: 4000 }, (_, i) => ((i * 37) % 101) - 50 + (i % 3 === 0 ? -0 : 0.25));
    agrees(mixed);
    agrees([...Array.from({ length: 3000 }, (_, i) => i / 7), Number.NaN, -0, 0]);
    agrees([3, 1, 2]);
    fc.assert(fc.property(fc.array(fc.double(), { maxLength: 3000 }), (vs) => agrees(vs)), { numRuns: 30 });
  });
});
