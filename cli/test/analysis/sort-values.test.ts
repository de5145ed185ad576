import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RADIX_MIN, sortValues } from '../../src/analysis/sort-values.js';

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
    fc.assert(fc.property(fc.array(value, { minLength: RADIX_MIN, maxLength: RADIX_MIN + 4000 }), (vs) => agrees(vs)), { numRuns: 40 });
  });

  it('keeps digits that every value shares (skipped passes) and orders values differing in one pass only', () => {
    const base = 1.25;
    const n = RADIX_MIN + 1000;
    const vs = Array.from({ length: n }, (_, i) => base + ((i * 7919) % n) * 2 ** -52);
    agrees(vs);
    agrees(Array.from({ length: n }, () => 0.125)); // every digit shared
    // all values share every digit but one value, which differs in one bit of one 16-bit digit:
    // a pass must not be skipped because all *but one* value share its digit
    for (let digit = 0; digit < 4; digit++) {
      for (const at of [0, n >> 1, n - 1]) {
        const a = new Float64Array(n).fill(1.5);
        const w = new Uint32Array(a.buffer);
        w[2 * at + (digit >> 1)]! ^= 1 << ((digit & 1) * 16 + 3);
        agrees([...a]);
      }
    }
  });

  it('sorts a view into a larger buffer (a byteOffset) and leaves the bytes around it alone', () => {
    const big = Float64Array.from({ length: RADIX_MIN * 3 }, (_, i) => ((i * 7919) % 10007) / 1000);
    const before = Float64Array.from(big);
    const from = RADIX_MIN / 2 + 3;
    const to = from + RADIX_MIN + 500;
    const view = big.subarray(from, to);
    expect(sortValues(view)).toBe(view);
    expect(bits(view)).toEqual(bits(before.slice(from, to).sort()));
    expect(bits(big.subarray(0, from))).toEqual(bits(before.subarray(0, from)));
    expect(bits(big.subarray(to))).toEqual(bits(before.subarray(to)));
  });

  it('falls back to sort() for negatives, -0, NaN and short arrays', () => {
    const mixed = Array.from({ length: 4000 }, (_, i) => ((i * 37) % 101) - 50 + (i % 3 === 0 ? -0 : 0.25));
    agrees(mixed);
    agrees([...Array.from({ length: RADIX_MIN + 10 }, (_, i) => i / 7), Number.NaN, -0, 0]);
    // NaN without a negative value: NaNs of different payloads stay in input order, as sort() keeps them
    const nans = Float64Array.from({ length: RADIX_MIN + 10 }, (_, i) => i / 3);
    const w = new Uint32Array(nans.buffer);
    for (const [at, hi, lo] of [[5, 0x7ff80000, 5], [900, 0x7ff80000, 1], [4000, 0x7ff00000, 1]] as const) {
      w[2 * at] = lo;
      w[2 * at + 1] = hi;
    }
    agrees([...nans]);
    agrees([3, 1, 2]);
    fc.assert(fc.property(fc.array(fc.double(), { maxLength: 3000 }), (vs) => agrees(vs)), { numRuns: 30 });
  });
});
