/**
 * Sorts a Float64Array in place, ascending: the same result as `values.sort()`, faster on the
 * long series the analysis sorts at the end of a run (exact percentiles, the outliers' medians).
 *
 * Metric values are never negative, and the IEEE 754 bit patterns of non-negative doubles order
 * as the values do, so an LSD radix sort on the 64-bit patterns (four passes of 16 bits, a pass
 * skipped when every value has the same digit in it) gives exactly the order of the comparison
 * sort. Measured on the project's 2-core machine, 78,000 values (one series of the bench's 1M
 * events): V8's `Float64Array#sort` 6.0-6.6 ms, this 2.4-2.9 ms (docs/performance.md, issue 14
 * round 4). Written here (~50 lines) rather than taken from npm: it is checked against `sort()`
 * bit for bit by fast-check (sort-values.test.ts).
 *
 * Most series are whole microseconds in seconds (derive.ts computes every value as a difference
 * of integer microsecond timestamps divided by 1e6): those are sorted by their microsecond counts
 * instead (`sortMicros`), 32-bit keys in one or two passes, and written back as `count / 1e6`,
 * which is the value itself (checked for every value before anything moves). 64,000 values:
 * 2.0-2.6 ms by the doubles' patterns, 0.9-1.2 ms by the counts (issue 14, round 5).
 *
 * Falls back to `sort()` for short arrays (below ~6,000 values the 64 Ki-entry count table costs
 * more than it saves: measured 0.23 against 0.04 ms at 2,048, even at ~6,000, 0.39 against 0.49
 * at 8,192), for any value with the sign bit set (negative numbers and -0, whose bit patterns
 * order in reverse) and for NaN (`sort()` keeps NaNs of different payloads in input order; the
 * radix would order them by pattern).
 */
export const RADIX_MIN = 8192;
const BUCKETS = 1 << 16;
/** The word order below assumes a little-endian machine (x86, ARM); elsewhere, `sort()`. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function sortValues(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) return values.sort();
  if (sortMicros(values)) return values;
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2); // little-endian: low word first
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const l = words[2 * i]!;
    const h = words[2 * i + 1]!;
    // negative, -0 or NaN (every pattern from +Infinity's up, +Infinity itself excepted)
    if (h >= 0x7ff00000 && (h !== 0x7ff00000 || l !== 0)) return values.sort();
    lo[i] = l;
    hi[i] = h;
  }
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const count = new Uint32Array(BUCKETS);
  for (let pass = 0; pass < 4; pass++) {
    const key = pass < 2 ? lo : hi;
    const shift = (pass & 1) * 16;
    if (!digitOffsets(count, key, shift, n)) continue; // one digit for all: the order stays
    // stable scatter: equal digits keep the order of the previous pass
    for (let i = 0; i < n; i++) {
      const d = count[(key[i]! >>> shift) & 0xffff]!++;
      lo2[d] = lo[i]!;
      hi2[d] = hi[i]!;
    }
    let t = lo;
    lo = lo2;
    lo2 = t;
    t = hi;
    hi = hi2;
    hi2 = t;
  }
  for (let i = 0; i < n; i++) {
    words[2 * i] = lo[i]!;
    words[2 * i + 1] = hi[i]!;
  }
  return values;
}

/**
 * Counts the 16-bit digit at `shift` of each key and turns the counts into each digit's first
 * place; false (nothing to move) when every key has the same digit there.
 */
function digitOffsets(count: Uint32Array, keys: Uint32Array, shift: number, n: number): boolean {
  countDigits(count, keys, shift, n);
  if (count[(keys[0]! >>> shift) & 0xffff] === n) return false;
  firstPlaces(count);
  return true;
}

/*
 * Each loop of the sorts is a function of its own: V8 compiles a long loop on the spot (OSR), and
 * a function compiled during its first loop had no feedback yet for the loops after it, so it was
 * thrown away and compiled again when it reached them (sortMicros 7 compilations a run,
 * digitOffsets 9 deoptimisations; issue 14, round 7).
 */

/** Counts the 16-bit digit at `shift` of the first `n` keys. */
function countDigits(count: Uint32Array, keys: Uint32Array, shift: number, n: number): void {
  count.fill(0);
  for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 0xffff]!++;
}

/** Turns digit counts into each digit's first place. */
function firstPlaces(count: Uint32Array): void {
  let sum = 0;
  for (let b = 0; b < BUCKETS; b++) {
    const c = count[b]!;
    count[b] = sum;
    sum += c;
  }
}

/** Microsecond counts above this do not fit the 32-bit keys (71 minutes). */
const MAX_MICROS = 0xffffffff;

/**
 * Sorts `values` by their microsecond counts when every value is `count / 1e6` for an integer
 * count in [0, MAX_MICROS] (and none is -0); returns false, with `values` untouched, otherwise.
 * Sorting the counts and dividing again gives exactly the sorted doubles: each value is its
 * count's quotient (checked), and the quotient grows with the count.
 */
function sortMicros(values: Float64Array): boolean {
  const n = values.length;
  let keys = new Uint32Array(n);
  const all = microKeys(values, keys);
  if (Number.isNaN(all)) return false;
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(BUCKETS);
  // two 16-bit digits; the high one is skipped when every count is below 65,536 µs
  for (let shift = 0; shift < 32 && all >>> shift !== 0; shift += 16) {
    if (!digitOffsets(count, keys, shift, n)) continue; // one digit for all: the order stays
    scatterKeys(count, keys, tmp, shift, n);
    const t = keys;
    keys = tmp;
    tmp = t;
  }
  fromMicros(values, keys, n);
  return true;
}

/**
 * Each value's microsecond count into `keys`; returns every count OR-ed together (as an int32:
 * read it with `>>>`), or NaN when a value is not `count / 1e6` for a count in [0, MAX_MICROS]
 * (or is -0). Nothing is computed after the loop (code there had no feedback when V8 compiled
 * the loop on the spot).
 */
function microKeys(values: Float64Array, keys: Uint32Array): number {
  let all = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const k = Math.round(v * 1e6);
    // NaN and negatives fail the range; -0 passes the quotient check (-0 / 1e6 === -0) but would come
    // back as 0 (Object.is, not 1 / v < 0: a division first met mid-run had no feedback and deoptimised)
    if (!(k >= 0 && k <= MAX_MICROS) || k / 1e6 !== v || (v === 0 && Object.is(v, -0))) return Number.NaN;
    keys[i] = k;
    all |= k;
  }
  return all;
}

/** Stable scatter of the keys by their digit at `shift` (equal digits keep the previous pass's order). */
function scatterKeys(count: Uint32Array, keys: Uint32Array, out: Uint32Array, shift: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    out[count[(k >>> shift) & 0xffff]!++] = k;
  }
}

/** The sorted counts back to seconds: each is the value it came from, bit for bit. */
function fromMicros(values: Float64Array, keys: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) values[i] = keys[i]! / 1e6;
}
