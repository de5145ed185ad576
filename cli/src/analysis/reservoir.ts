import { createRequire } from 'node:module';
import type { RandomGenerator } from 'pure-rand';
import { RESERVOIR_SIZE } from './store-options.js';

export { RESERVOIR_SIZE };

/** The generator's seed: every reservoir draws the same sequence, so a run's figures repeat exactly. */
const SEED = 14;

/**
 * pure-rand (already the demo's seeded generator) loads with the first reservoir, as the sketch
 * library does: most runs stay within the exact budget and never need it (issue 14 item 6).
 */
let prand: typeof import('pure-rand') | undefined;

/**
 * A uniform random sample of at most `size` values of a stream (Algorithm L: Li, "Reservoir-
 * sampling algorithms of time complexity O(n(1 + log(N/n)))", ACM TOMS 1994), from a seeded
 * generator: the same input gives the same sample. After n values each of them is in the sample
 * with probability size / n. Between replacements a value costs one comparison: the generator
 * draws the length of the next skip, ~size * ln(n / size) draws in all.
 *
 * Why (the outlier rule past the exact budget, anomalies.ts): a statistic of the sample (the
 * median, the median absolute deviation) has an error that scales with the spread of the values,
 * not with their magnitude, where a quantile sketch's buckets are 0.5% of the value wide: for
 * latencies spread 0.3% around 1 s the sketch's MAD was 5 times the true one.
 *
 * Memory: the values in one Float64Array grown by doubling up to `size` (8 bytes a value).
 */
export class Reservoir {
  private buf = new Float64Array(64);
  /** Values offered so far. */
  seen = 0;
  /** 0-based index (in `seen` order) of the next value to take once the sample is full. */
  private next = 0;
  /** Algorithm L's W: the largest of `size` uniform draws, shrinking as values come. */
  private w = 0;
  private rng: RandomGenerator | undefined;

  constructor(readonly size: number = RESERVOIR_SIZE) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('reservoir size must be a whole number >= 1');
  }

  accept(v: number): void {
    const i = this.seen++;
    if (i < this.size) {
      if (i === this.buf.length) {
        const b = new Float64Array(Math.min(this.size, 2 * i));
        b.set(this.buf);
        this.buf = b;
      }
      this.buf[i] = v;
      if (i === this.size - 1) {
        this.w = Math.exp(Math.log(this.uniform()) / this.size);
        this.skip(i);
      }
      return;
    }
    if (i < this.next) return;
    this.buf[this.index()] = v;
    this.w *= Math.exp(Math.log(this.uniform()) / this.size);
    this.skip(i);
  }

  /** A copy of the sample (safe to sort): every value while at most `size` came. */
  sample(): Float64Array {
    return this.buf.slice(0, Math.min(this.seen, this.size));
  }

  private skip(i: number): void {
    this.next = i + Math.floor(Math.log(this.uniform()) / Math.log1p(-this.w)) + 1;
  }

  private generator(): RandomGenerator {
    prand ??= createRequire(import.meta.url)('pure-rand') as typeof import('pure-rand');
    return (this.rng ??= prand.xoroshiro128plus(SEED));
  }

  /** Uniform in (0, 1), never 0 or 1 (it goes through a logarithm). */
  private uniform(): number {
    return ((this.generator().unsafeNext() >>> 0) + 0.5) / 4294967296;
  }

  /** Uniform whole number in [0, size). */
  private index(): number {
    return prand!.unsafeUniformIntDistribution(0, this.size - 1, this.generator());
  }
}
