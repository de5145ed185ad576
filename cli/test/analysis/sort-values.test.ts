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

/** The next double above a positive `x`. */
function nextUp(x: number): number {
  const f = Float64Array.of(x);
  new BigUint64Array(f.buffer)[0]! += 1n;
  return f[0]!;
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

  it('sorts whole microseconds (the counts path) exactly as sort(), one or two digits, up to the 32-bit limit', () => {
    const us = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 1e6);
    for (const max of [65_535, 10_000_000, 0xffffffff]) {
      fc.assert(fc.property(fc.array(us(max), { minLength: RADIX_MIN, maxLength: RADIX_MIN + 3000 }), (vs) => agrees(vs)), { numRuns: 15 });
    }
    const n = RADIX_MIN + 100;
    agrees(Array.from({ length: n }, (_, i) => ((i * 7919) % 5000) / 1e6)); // every count in the low digit
    agrees(Array.from({ length: n }, (_, i) => (0xffffffff - ((i * 7919) % 70_000)) / 1e6)); // the high digit nearly shared
    agrees(Array.from({ length: n }, (_, i) => (i % 2) * 65_536 / 1e6)); // the low digit shared, the high one not
    agrees(Array.from({ length: n }, (_, i) => ((i % 2) * 2 ** 31) / 1e6)); // counts that differ in bit 31 only
  });

  it('leaves the counts path for a value that is no whole microsecond quotient, beyond 32 bits, or -0', () => {
    const n = RADIX_MIN + 100;
    const micros = (): number[] => Array.from({ length: n }, (_, i) => ((i * 7919) % 100_003) / 1e6);
    for (const at of [0, n >> 1, n - 1]) {
      for (const odd of [
        0.1234565 + 2 ** -40, // not a count / 1e6
        nextUp(0.25), // one ulp off a count's quotient
        (0xffffffff + 1) / 1e6, // the count does not fit 32 bits
        2 ** 33 / 1e6,
        -0,
        -0.5, // negative whole microseconds: a wrapped 32-bit count would come back as another number
        -1 / 1e6,
        Number.POSITIVE_INFINITY,
      ]) {
        const vs = micros();
        vs[at] = odd;
        agrees(vs);
      }
    }
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
