import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LastInFile } from '../../src/analysis/analyzer.js';
import { SampleStore } from '../../src/analysis/sample-store.js';
import type { MetricSample } from '../../../src/metrics/derive.js';

/**
 * Structures kept in columns for memory (see the comments in the sources): they must answer
 * exactly what the plain structures they replaced answered.
 */

const MAX_SPAN_KEYS = 10_000;

/** The previous backwards detection: a Map per session of the last time per span key. */
class ReferenceLastInFile {
  private readonly m = new Map<string | null, Map<string, number>>();
  check(sid: string | null, key: string, us: number): number | undefined {
    let spans = this.m.get(sid);
    if (spans === undefined) this.m.set(sid, (spans = new Map()));
    const prev = spans.get(key);
    if (prev !== undefined && us < prev) return prev;
    if (spans.size >= MAX_SPAN_KEYS) spans.clear();
    spans.set(key, us);
    return undefined;
  }
  endSession(sid: string): void {
    this.m.delete(sid);
  }
}

describe('LastInFile (backwards detection state in columns)', () => {
  it('random sequences: the same answers as a Map of Maps', () => {
    const op = fc.record({
      sid: fc.constantFrom<string | null>('a', 'b', 'c', null),
      key: fc.constantFrom('', 's1', 's2', 's3', 's4'),
      us: fc.integer({ min: 0, max: 50 }),
      end: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const got = new LastInFile();
        const want = new ReferenceLastInFile();
        for (const o of ops) {
          expect(got.check(o.sid, o.key, o.us)).toBe(want.check(o.sid, o.key, o.us));
          if (o.end === 0 && o.sid !== null) {
            got.endSession(o.sid);
            want.endSession(o.sid);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a session holding MAX_SPAN_KEYS keys forgets them all, as before', () => {
    const got = new LastInFile();
    const want = new ReferenceLastInFile();
    const seq: [string | null, string, number][] = [];
    for (const sid of ['a', null]) {
      seq.push([sid, '', 100], [sid, 'first', 100]);
      for (let i = 0; i < MAX_SPAN_KEYS + 50; i++) seq.push([sid, `span${i}`, 100], ['b', `span${i}`, 100]);
      seq.push([sid, 'first', 50], [sid, '', 50], ['b', 'span3', 50], [sid, 'span10001', 10], [sid, 'span5', 10]);
    }
    for (const [sid, key, us] of seq) expect(got.check(sid, key, us)).toBe(want.check(sid, key, us));
  });

  it('a full session seeing a key it holds again (shared with another session) forgets its keys and keeps the other\'s', () => {
    const got = new LastInFile();
    const want = new ReferenceLastInFile();
    const seq: [string | null, string, number][] = [['b', 'k0', 100], ['b', 'k1', 100]];
    for (let i = 0; i < MAX_SPAN_KEYS; i++) seq.push(['a', `k${i}`, 100]); // 'a' is full; its k0 is first in k0's chain
    seq.push(['a', 'k0', 200], ['b', 'k0', 50], ['b', 'k0', 150], ['a', 'k1', 300], ['a', 'k0', 100], ['b', 'k1', 60], ['c', 'k0', 1], ['b', 'k0', 120]);
    for (const [sid, key, us] of seq) expect(got.check(sid, key, us)).toBe(want.check(sid, key, us));
  });
});

describe('SampleStore columns in chunks', () => {
  const sample = (i: number): MetricSample => ({
    metric: i % 3 === 0 ? 'ttfa' : 'stt_latency',
    seconds: i / 1000,
    sessionId: `s${i % 7}`,
    turn: i % 5,
    startUs: 1e15 + i,
    endUs: 1e15 + i + 1,
    labels: i % 4 === 0 ? {} : { provider: `p${i % 3}`, model: `m${i % 2}` },
  });

  it('values, labels and details read back as written, across chunk boundaries, before and after joining', () => {
    const store = new SampleStore({ details: true, labels: ['model'] });
    const n = 100_003 * 3;
    for (let i = 0; i < n; i++) store.add(sample(i));
    const want = Array.from({ length: n }, (_, i) => sample(i)).filter((s) => s.metric === 'ttfa');
    const col = store.column('ttfa');
    expect(col.n).toBe(want.length);
    const prov = (s: MetricSample): number => (s.labels.provider === undefined ? 0 : store.labelValues.values.indexOf(s.labels.provider));
    // chunked reads
    expect(Array.from(col.values())).toEqual(want.map((s) => s.seconds));
    for (const i of [0, 1, 32767, 32768, 32769, 65536, want.length - 1]) {
      expect(col.seconds.get(i)).toBe(want[i]!.seconds);
      expect(col.labelAt('provider', i)).toBe(prov(want[i]!));
    }
    expect(Array.from(col.labelColumn('provider')!.copy(col.n))).toEqual(want.map(prov));
    // joined reads (report, anomaly details)
    expect(Array.from(col.seconds.view(col.n))).toEqual(want.map((s) => s.seconds));
    expect(Array.from(col.label('provider')!)).toEqual(want.map(prov));
    expect(Array.from(col.startUs!.view(col.n))).toEqual(want.map((s) => s.startUs));
    expect(col.turn!.arr[12345]).toBe(want[12345]!.turn);
    expect(store.sessions.values[col.session!.arr[777]!]).toBe(want[777]!.sessionId);
    expect(Array.from(col.values())).toEqual(want.map((s) => s.seconds));
    // writing on after a join
    for (let i = n; i < n + 40_000; i++) store.add(sample(i));
    const want2 = Array.from({ length: n + 40_000 }, (_, i) => sample(i)).filter((s) => s.metric === 'ttfa');
    expect(Array.from(col.values())).toEqual(want2.map((s) => s.seconds));
    expect(Array.from(col.label('provider')!)).toEqual(want2.map(prov));
  });

  it('the turn column keeps every number exactly: small, 16-bit, negative, fractional, beyond 32 bits', () => {
    const store = new SampleStore({ details: true });
    // a narrow (byte) column first, then values it cannot hold: each widens it, samples already in it kept
    const turns = [0, 3, 255, 256, 70_000, -1, 1.5, 2 ** 40 + 3, 7, -0.25];
    turns.forEach((t, i) => store.addFields('ttfa', i, 1_000 + i, 's', t, {}));
    expect(Array.from(store.column('ttfa').turn!.copy(turns.length))).toEqual(turns);
    const neg = new SampleStore({ details: true });
    [4, -1, 2].forEach((t, i) => neg.addFields('ttfa', i, 1_000 + i, 's', t, {}));
    expect(Array.from(neg.column('ttfa').turn!.copy(3))).toEqual([4, -1, 2]);
  });

  it('label ids widen from bytes to 16 and 32 bits as the number of label values grows', () => {
    const store = new SampleStore();
    const n = 70_000 * 2;
    const s = (i: number): MetricSample => ({ metric: 'ttfa', seconds: i, sessionId: null, turn: 0, startUs: 0, endUs: 0, labels: { provider: `p${i % 70_000}` } });
    for (let i = 0; i < n; i++) {
      store.add(s(i));
      if (i === 200 || i === 1000 || i === 66_000) expect(store.column('ttfa').labelAt('provider', i)).toBe(store.labelValues.values.indexOf(`p${i % 70_000}`));
    }
    const col = store.column('ttfa');
    const ids = Array.from({ length: n }, (_, i) => 1 + (i % 70_000)); // id 0 is NO_LABEL
    expect(Array.from(col.labelColumn('provider')!.copy(n))).toEqual(ids);
    expect(col.labelAt('provider', 69_999)).toBe(70_000);
    expect(Array.from(col.label('provider')!)).toEqual(ids);
  });
});
