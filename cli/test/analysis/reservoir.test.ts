import { describe, expect, it } from 'vitest';
import { MAD_FLOOR_S, MAD_SCALE, OUTLIER_K } from '../../src/analysis/anomalies.js';
import { medianSorted } from '../../src/analysis/quantiles.js';
import { Reservoir, RESERVOIR_SIZE } from '../../src/analysis/reservoir.js';
import { rng } from './seeded.js';

function medianAndMad(values: Float64Array): { median: number; mad: number } {
  const sorted = values.slice().sort();
  const median = medianSorted(sorted);
  return { median, mad: medianSorted(sorted.map((v) => Math.abs(v - median)).sort()) };
}

describe('Reservoir (seeded uniform sample)', () => {
  it('keeps every value, in order, while at most its size came', () => {
    const r = new Reservoir(100);
    for (let i = 0; i < 100; i++) r.accept(i / 7);
    expect([...r.sample()]).toEqual(Array.from({ length: 100 }, (_, i) => i / 7));
    expect(new Reservoir(5).sample().length).toBe(0);
  });

  it('the same input gives the same sample (seeded), of exactly `size` values', () => {
    const a = new Reservoir(500);
    const b = new Reservoir(500);
    for (let i = 0; i < 100_000; i++) {
      a.accept(i);
      b.accept(i);
    }
    expect(a.sample().length).toBe(500);
    expect([...a.sample()]).toEqual([...b.sample()]);
    expect(a.seen).toBe(100_000);
  });

  it('every part of the stream is equally likely to be in it', () => {
    const n = 200_000;
    const size = 2000;
    const r = new Reservoir(size);
    for (let i = 0; i < n; i++) r.accept(i);
    const sample = r.sample();
    expect(new Set(sample).size).toBe(size); // each value at most once
    // per tenth of the stream: 200 expected each, binomial sd ~13.4; 5 sd either side
    const tenths = new Array<number>(10).fill(0);
    for (const v of sample) tenths[Math.floor((10 * v) / n)]!++;
    for (const c of tenths) expect(Math.abs(c - size / 10)).toBeLessThanOrEqual(67);
    // the last 1% of the stream too (the skips must keep taking late values): 20 expected, sd ~4.4
    const late = sample.filter((v) => v >= 0.99 * n).length;
    expect(late).toBeGreaterThanOrEqual(5);
    expect(late).toBeLessThanOrEqual(42);
  });

  it('1 s ± 3 ms with a 2% tail 20 ms slower, 400k values: median, MAD and outlier threshold of the sample close to the exact ones', () => {
    const next = rng(42);
    const n = 400_000;
    const all = new Float64Array(n);
    const r = new Reservoir(); // the production size
    expect(r.size).toBe(RESERVOIR_SIZE);
    for (let i = 0; i < n; i++) {
      const v = 1 + (next() - 0.5) * 0.006 + (i % 50 === 7 ? 0.02 : 0);
      all[i] = v;
      r.accept(v);
    }
    const exact = medianAndMad(all);
    const approx = medianAndMad(r.sample());
    const threshold = (m: { median: number; mad: number }): number => m.median + OUTLIER_K * MAD_SCALE * Math.max(m.mad, MAD_FLOOR_S);
    // errors of a sample of 65,536: ~0.01 ms on both (sd); a sketch's bucket is 5 ms wide here
    expect(exact.mad).toBeGreaterThan(0.0014);
    expect(Math.abs(approx.median - exact.median)).toBeLessThanOrEqual(0.0001);
    expect(Math.abs(approx.mad - exact.mad)).toBeLessThanOrEqual(0.02 * exact.mad);
    expect(Math.abs(threshold(approx) - threshold(exact))).toBeLessThanOrEqual(0.0002);
  });
});
