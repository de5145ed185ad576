import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/analysis/id-set.js';

describe('IdSet (exact set of session ids in flat arrays)', () => {
  it('answers as a Set<string> does, for any strings (non-Latin-1, empty, prefixes of each other, many)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', 'a', 'ab', 'conv_1', 'conv_10')), { maxLength: 600 }), (ids) => {
        const set = new IdSet();
        const want = new Set<string>();
        for (const id of ids) expect(set.add(id)).toBe(!want.has(id) && want.add(id) !== undefined);
        expect(set.size).toBe(want.size);
        for (const id of ids) expect(set.has(id)).toBe(true);
        for (const id of ids) expect(set.has(id + '\u0000')).toBe(want.has(id + '\u0000'));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('holds 200,000 session ids through its growth; mark flags an id once, adding it if needed', () => {
    const set = new IdSet();
    for (let i = 0; i < 200_000; i++) expect(set.add(`conv_${1767600000 + i}_${(i * 2654435761) >>> 8}`)).toBe(true);
    expect(set.size).toBe(200_000);
    expect(set.add('conv_1767600000_0')).toBe(false);
    expect(set.has('conv_1767799999_x')).toBe(false);
    expect(set.mark('conv_1767600000_0')).toBe(true); // there, not flagged yet
    expect(set.mark('conv_1767600000_0')).toBe(false);
    expect(set.mark('new one')).toBe(true); // added and flagged
    expect(set.size).toBe(200_001);
    expect(set.add('new one')).toBe(false);
    expect(set.mark('new one')).toBe(false);
  });
});
