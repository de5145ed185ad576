import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteInterner } from '../../src/reader/byte-interner.js';

/**
 * The interner hashes and compares 4 bytes at a time (DataView words; the last word overlaps the
 * one before, bytes one by one only below 4 bytes): whatever the strings' lengths and places in their buffers, equal bytes must get one id and
 * different bytes different ids, in order of first sight (a Map of the strings is the reference).
 */
describe('ByteInterner', () => {
  it('gives the ids a Map of the strings gives, for strings of any length at any offset', () => {
    // a small alphabet: many strings of one length; and strings over 16 bytes that differ only
    // between their first 4 and last 12 bytes (the hash once read only those)
    const str = fc.oneof(fc.stringMatching(/^[ab_]{0,40}$/), fc.stringMatching(/^[ab]{1,24}$/).map((mid) => `conv${mid}_1767600001`));
    fc.assert(
      fc.property(fc.array(fc.tuple(str, fc.integer({ min: 0, max: 7 }), fc.boolean()), { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), (items, bits) => {
        const interner = new ByteInterner(bits); // a tiny table: rehashes and long probe runs
        const ref = new Map<string, number>();
        for (const [s, pad, ownBuffer] of items) {
          // the string at an odd place of a larger buffer, or of a pooled Buffer (byteOffset > 0)
          const bytes = Buffer.from('x'.repeat(pad) + s + 'y'.repeat(pad), 'latin1');
          const buf = ownBuffer ? new Uint8Array(bytes) : bytes;
          let want = ref.get(s);
          if (want === undefined) ref.set(s, (want = ref.size));
          expect(interner.id(buf, pad, pad + s.length)).toBe(want);
          expect(interner.size).toBe(ref.size);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps its ids as its byte arena grows (hundreds of long strings)', () => {
    const interner = new ByteInterner(4);
    const strings = Array.from({ length: 600 }, (_, i) => `session-${i}-${'x'.repeat(20 + (i % 40))}`);
    const ids = strings.map((s) => interner.id(Buffer.from(s, 'latin1'), 0, s.length));
    expect(ids).toEqual(strings.map((_, i) => i));
    // all found again after the arena was replaced several times (600 strings, ~30 KB)
    expect(strings.map((s) => interner.id(Buffer.from(`..${s}`, 'latin1'), 2, s.length + 2))).toEqual(ids);
    expect(interner.size).toBe(600);
  });
});
