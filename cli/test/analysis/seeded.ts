import prand from 'pure-rand';

/** Seeded uniform numbers in (0, 1) (pure-rand, as the demo): the same values on every run. */
export function rng(seed: number): () => number {
  const g = prand.xoroshiro128plus(seed);
  return () => (prand.unsafeUniformIntDistribution(0, 0x7ffffffe, g) + 0.5) / 0x7fffffff;
}
