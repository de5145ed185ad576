import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LastLookup, StringTable } from '../../src/reader/string-table.js';

/**
 * The parse worker looks session and span ids up through a LastLookup (the string of the line
 * before, compared in place) instead of the table itself. Whatever the sequence of strings,
 * buffers and table resets, it must give the ids the table gives, and the table must send the
 * same new strings.
 */
// short strings from a small alphabet: many repeats, many of the same length that differ
const word = fc.stringMatching(/^[ab_1]{0,6}$/);
/**
 * A chunk: the strings of its lines in one buffer, each for field 0 (session) or 1 (span), some
 * after the tables start afresh (the worker does that between chunks; inside one is harder).
 */
const chunk = fc.record({
  reset: fc.boolean(),
  lookups: fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), word, fc.integer({ min: 0, max: 9 }).map((n) => n === 0)), { maxLength: 30 }),
});

describe('LastLookup', () => {
  it('gives the table ids, and the table sends the same strings, over random chunks and resets', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), (chunks) => {
        const memoTables = [new StringTable(4), new StringTable(4)];
        const memos = memoTables.map((t) => new LastLookup(t));
        const refTables = [new StringTable(4), new StringTable(4)];
        const sent: string[][] = [[], []];
        const refSent: string[][] = [[], []];
        for (const c of chunks) {
          if (c.reset) {
            for (const t of [...memoTables, ...refTables]) t.reset();
          }
          // one buffer per chunk, as the worker reads one; the strings back to back
          const buf = Buffer.from(c.lookups.map(([, w]) => w).join(''), 'latin1');
          let at = 0;
          for (const [field, w, resetFirst] of c.lookups) {
            if (resetFirst) for (const t of [...memoTables, ...refTables]) t.reset();
            const got = memos[field]!.id(buf, at, at + w.length);
            const want = refTables[field]!.fromBytes(buf, at, at + w.length);
            expect(got).toBe(want);
            at += w.length;
          }
          for (const f of [0, 1]) {
            sent[f]!.push(...memoTables[f]!.out);
            refSent[f]!.push(...refTables[f]!.out);
            memoTables[f]!.out = [];
            refTables[f]!.out = [];
          }
        }
        expect(sent).toEqual(refSent);
      }),
      { numRuns: 2000 },
    );
  });

  it('a stale memo is not used after the table starts afresh, even in the same buffer', () => {
    const table = new StringTable(4);
    const memo = new LastLookup(table);
    const buf = Buffer.from('xyzabcabc', 'latin1');
    expect(memo.id(buf, 0, 3)).toBe(0); // xyz
    expect(memo.id(buf, 3, 6)).toBe(1); // abc
    expect(memo.id(buf, 6, 9)).toBe(1); // abc again: the memo
    table.reset();
    expect(memo.id(buf, 6, 9)).toBe(0); // abc: new in the fresh table, sent again
    expect(table.out).toEqual(['abc']);
  });
});
