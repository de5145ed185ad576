import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuantileSketch, RELATIVE_ERROR } from '../../src/analysis/quantile-sketch.js';
import { distribution, type Distribution } from '../../src/analysis/quantiles.js';
import { Slowest, type SlowSample } from '../../src/analysis/slowest.js';
import { rng } from './seeded.js';

/** Distributions a latency takes, heavy tails and ties included (seconds, >= 0, µs resolution like the derivation's). */
const DISTRIBUTIONS: Record<string, (r: () => number) => number> = {
  uniform: (r) => r() * 5,
  exponential: (r) => -Math.log(r()) * 0.3,
  lognormal: (r) => Math.exp(-1 + 0.8 * Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r())),
  // Pareto with alpha 1.1: a tail so heavy its p99 is ~65x its median
  pareto: (r) => 0.05 * Math.pow(r(), -1 / 1.1),
  // few distinct values, zeros among them (ties everywhere)
  ties: (r) => [0, 0, 0.1, 0.25, 0.25, 0.25, 1, 3][Math.floor(r() * 8)]!,
  bimodal: (r) => (r() < 0.9 ? 0.2 + r() * 0.1 : 8 + r() * 4),
  micro: (r) => Math.round(r() * 20) / 1e6,
};

function sketchOf(values: readonly number[]): QuantileSketch {
  const s = new QuantileSketch();
  for (const v of values) s.accept(v);
  return s;
}

/** count, min, max exact; mean to the float; each percentile within the relative error of the exact one. */
function expectClose(approx: Distribution, exact: Distribution): void {
  expect(approx.count).toBe(exact.count);
  expect(approx.min).toBe(exact.min);
  expect(approx.max).toBe(exact.max);
  if (exact.mean === null) expect(approx.mean).toBeNull();
  else expect(Math.abs(approx.mean! - exact.mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(exact.mean)));
  for (const k of ['p50', 'p90', 'p95', 'p99'] as const) {
    const e = exact[k]!;
    const a = approx[k]!;
    // the bound itself, plus the last bits of the mapping's log2 / pow (a value on a bucket's edge)
    expect(Math.abs(a - e), `${k}: sketch ${a}, exact ${e}`).toBeLessThanOrEqual(RELATIVE_ERROR * Math.abs(e) * (1 + 1e-9) + 1e-15);
  }
}

describe('QuantileSketch (DDSketch with R-7 interpolation)', () => {
  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`percentiles within ${100 * RELATIVE_ERROR}% of the exact ones: ${name}`, () => {
      for (const [seed, n] of [
        [1, 1],
        [2, 7],
        [3, 1000],
        [4, 50_000],
      ] as const) {
        const r = rng(seed * 7919);
        const values = Array.from({ length: n }, () => draw(r));
        expectClose(sketchOf(values).distribution(), distribution(Float64Array.from(values)));
      }
    });
  }

  // The guarantee holds while the largest value is within e^41 (~6e17) of the smallest non-zero
  // one (4096 buckets; beyond, the lowest collapse): latencies are whole µs up to days, 1e-6 to 1e6.
  it('within the relative error on any non-negative input from 1 µs to 1e6 s (fast-check: ties, zeros, tiny and huge values)', () => {
    const value = fc.oneof(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1e-6, 0.5, 0.5, 7), fc.integer({ min: 0, max: 10_000_000 }).map((us) => us / 1e6));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
        expectClose(sketchOf(values).distribution(), distribution(Float64Array.from(values)));
      }),
      { numRuns: 300, seed: 14 },
    );
  });

  it('an empty sketch has the exact path\'s empty statistics', () => {
    expect(new QuantileSketch().distribution()).toEqual(distribution(new Float64Array(0)));
  });

  it('counts values above a threshold by bucket: only values within the relative error of it can land on the wrong side', () => {
    const r = rng(5);
    const values = Array.from({ length: 20_000 }, () => DISTRIBUTIONS.exponential!(r));
    const s = sketchOf(values);
    for (const t of [0.01, 0.3, 1, 2.5]) {
      const exact = values.filter((v) => v > t).length;
      // only values within the relative error of t can fall on the wrong side
      const near = values.filter((v) => Math.abs(v - t) <= RELATIVE_ERROR * t * 1.01).length;
      expect(Math.abs(s.countAbove(t) - exact)).toBeLessThanOrEqual(near);
    }
  });
});

describe('Slowest (bounded top-K with details)', () => {
  it('keeps exactly the K slowest, ties to the earlier sample, as a stable sort of all samples does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), fc.integer({ min: 0, max: 40 }), (vals, k) => {
        const top = new Slowest(k);
        const all: SlowSample[] = vals.map((v, seq) => ({ seconds: v / 10, seq, startUs: seq, sessionId: `s${seq}`, turn: 0, labels: new Map() }));
        for (const s of all) top.offer(s);
        const want = [...all].sort((a, b) => b.seconds - a.seconds).slice(0, k);
        expect(top.sorted().map((s) => s.seq)).toEqual(want.map((s) => s.seq));
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
