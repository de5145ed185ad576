import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { ChurnMap } from '../../src/reader/churn-map.js';
import { discoverFiles } from '../../src/reader/discover.js';
import type { FileEvent } from '../../src/reader/parse-line.js';
import { readEvents } from '../../src/reader/read-events.js';
import { SessionSorter, type SessionSorterOptions } from '../../src/reader/session-sorter.js';

/**
 * The session sorter keeps buffered events in columns (typed arrays) and makes the event
 * objects when it releases a session. It must release exactly what the object-buffering
 * sorter released: the same events (every field), in the same batches and the same order.
 */

/** The previous implementation (events buffered as the pushed objects), as the reference. */
class ReferenceSorter {
  private readonly open = new Map<string, { events: FileEvent[]; lastUs: number }>();
  private nullEvents: FileEvent[] = [];
  private watermark = Number.NEGATIVE_INFINITY;
  private nextSweepUs = Number.NEGATIVE_INFINITY;
  private readonly idleUs: number;
  private readonly nullWindowUs: number;
  private static byTime = (a: FileEvent, b: FileEvent): number => a.timestampUs - b.timestampUs;

  constructor(
    private readonly release: (events: FileEvent[]) => void,
    opts: SessionSorterOptions = {},
  ) {
    this.idleUs = opts.idleUs ?? 3_600_000_000;
    this.nullWindowUs = opts.nullWindowUs ?? 600_000_000;
  }

  push(ev: FileEvent): void {
    const t = ev.timestampUs;
    if (t > this.watermark) {
      this.watermark = t;
      if (t >= this.nextSweepUs) this.sweep();
    }
    const sid = ev.sessionId;
    if (sid === null) {
      this.nullEvents.push(ev);
      return;
    }
    let b = this.open.get(sid);
    if (b === undefined) {
      b = { events: [], lastUs: t };
      this.open.set(sid, b);
    }
    b.events.push(ev);
    if (t > b.lastUs) b.lastUs = t;
    if (ev.eventType === 'SESSION_END') {
      this.open.delete(sid);
      this.releaseSession(b.events.sort(ReferenceSorter.byTime));
    }
  }

  /** A session goes out after the null-session events that came before it. */
  private releaseSession(events: FileEvent[]): void {
    this.releaseNullBefore(events[0]!.timestampUs);
    this.release(events);
  }

  private releaseNullBefore(before: number): void {
    this.nullEvents.sort(ReferenceSorter.byTime);
    let i = 0;
    while (i < this.nullEvents.length && this.nullEvents[i]!.timestampUs < before) i++;
    if (i > 0) this.release(this.nullEvents.splice(0, i));
  }

  private sweep(): void {
    this.nextSweepUs = this.watermark + 60_000_000;
    const idleBefore = this.watermark - this.idleUs;
    for (const [sid, b] of this.open) {
      if (b.lastUs < idleBefore) {
        this.open.delete(sid);
        this.releaseSession(b.events.sort(ReferenceSorter.byTime));
      }
    }
    this.releaseNullBefore(this.watermark - this.nullWindowUs);
  }

  finish(): void {
    const rest = [...this.open.values()].map((b) => b.events.sort(ReferenceSorter.byTime));
    this.open.clear();
    rest.sort((a, b) => a[0]!.timestampUs - b[0]!.timestampUs);
    for (const events of rest) this.releaseSession(events);
    this.releaseNullBefore(Number.POSITIVE_INFINITY);
  }
}

/** Both sorters over the same events: their released batches (copied, as plain objects). */
function both(events: readonly FileEvent[], opts: SessionSorterOptions = {}): { got: FileEvent[][]; want: FileEvent[][] } {
  const got: FileEvent[][] = [];
  const want: FileEvent[][] = [];
  const s = new SessionSorter((evs) => got.push(evs), opts);
  const r = new ReferenceSorter((evs) => want.push(evs.map((e) => ({ ...e }))), opts);
  for (const ev of events) {
    // the sorter must not keep the pushed object: hand it a copy and spoil that afterwards
    const copy = { ...ev };
    s.push(copy);
    copy.timestampUs = -1;
    copy.sessionId = 'spoiled';
    copy.spanId = 'spoiled';
    r.push(ev);
  }
  s.finish();
  r.finish();
  return { got, want };
}

describe('SessionSorter (columns) releases what the object-buffering sorter released', () => {
  it('a mixed-format file with out-of-order lines inside sessions, null-session and unended sessions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-sorter-'));
    const gen = join(dir, 'gen.jsonl');
    await generateEventsFile(gen, { events: 20_000, format: 'mixed' });
    const lines = readFileSync(gen, 'utf8').split('\n').filter((l) => l !== '');
    // out of order inside sessions: swap neighbours now and then (a span's events written late)
    for (let i = 5; i + 1 < lines.length; i += 37) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
    const extra = [
      // both line shapes, equal timestamps (stable order), a null session, a session that never ends
      '{"timestamp": "2026-01-05T09:00:00.500000+00:00", "event_type": "TTS_START", "session_id": null, "data": {"provider": "openai"}}',
      '{"timestamp":"2026-01-05T09:00:00.500000Z","event_type":"TTS_FIRST_AUDIO","session_id":null,"data":{},"span_id":"n1","trace_id":"t1"}',
      '{"timestamp":"2026-01-05T09:00:00.400000Z","event_type":"SESSION_START","session_id":"never_ends","data":{},"turn":0}',
      '{"timestamp": "2026-01-05T09:00:00.400000+00:00", "event_type": "TTS_START", "session_id": "never_ends", "data": {"voice": "alloy"}}',
      '{"timestamp":"2026-01-05T09:00:00.300000Z","event_type":"RECORDING_START","session_id":"never_ends","data":{"transport":"web"},"turn":1,"span_id":"r1"}',
    ];
    lines.splice(50, 0, ...extra);
    const path = join(dir, 'voicemode_events_2026-01-05.jsonl');
    writeFileSync(path, lines.join('\n') + '\n');
    const files = await discoverFiles([path]);
    const events: FileEvent[] = [];
    await readEvents(files, (ev) => void events.push(ev), { keepRaw: true });
    expect(events.length).toBeGreaterThan(20_000);
    expect(events.some((e) => e.sessionId === null)).toBe(true);
    let outOfOrder = 0;
    const last = new Map<string | null, number>();
    for (const e of events) {
      if ((last.get(e.sessionId) ?? -Infinity) > e.timestampUs) outOfOrder++;
      last.set(e.sessionId, e.timestampUs);
    }
    expect(outOfOrder).toBeGreaterThan(10);

    for (const opts of [{}, { idleUs: 5_000_000, nullWindowUs: 1_000_000 }]) {
      const { got, want } = both(events, opts);
      expect(got.length).toBe(want.length);
      expect(got).toStrictEqual(want);
    }
  }, 60_000);

  it('random pushes: same batches, same order, every field (stable on equal times)', () => {
    const evArb = fc.record({
      sid: fc.constantFrom<string | null>('a', 'b', 'c', 'd', null),
      // now and then a gap longer than the small idle window: a session swept idle, then
      // pushed again straight away (the sorter's last-session memo must not outlive its slot)
      dt: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -3_000_000, max: 40_000_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 80_000_000, max: 200_000_000 }) }),
      end: fc.boolean(),
      turn: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
      span: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(evArb, { maxLength: 300 }), fc.boolean(), (arr, smallWindows) => {
        let t = 1_700_000_000_000_000;
        const labels = [{}, { provider: 'openai' }];
        const events: FileEvent[] = arr.map((a, i) => {
          t += a.dt;
          return {
            timestampUs: t,
            eventType: a.end && a.sid !== null ? 'SESSION_END' : 'TTS_START',
            sessionId: a.sid,
            data: labels[i % 2]!,
            traceId: i % 3 === 0 ? 'trace' : undefined,
            spanId: a.span,
            turn: a.turn,
            file: i % 2,
            line: i + 1,
            raw: i % 5 === 0 ? `line ${i}` : undefined,
          };
        });
        const opts = smallWindows ? { idleUs: 90_000_000, nullWindowUs: 30_000_000 } : {};
        const { got, want } = both(events, opts);
        expect(got).toStrictEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('gives back every line and turn number exactly: small integers, and those past the int32 range, -0 and fractions', () => {
    // the columns are Float64Array; the sorter hands int32 values back as small integers (one
    // field layout for V8) and must not truncate or round anything else
    const odd = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER, -0, -5, 2.5, -(2 ** 31)];
    const events: FileEvent[] = odd.map((v, i) => ({ timestampUs: 1_700_000_000_000_000 + i, eventType: 'TTS_START', sessionId: 'a', data: {}, traceId: undefined, spanId: undefined, turn: v, file: 0, line: Math.abs(v), raw: undefined }));
    const { got, want } = both(events);
    expect(got).toStrictEqual(want);
    const turns = got.flat().map((e) => e.turn);
    for (let i = 0; i < odd.length; i++) expect(Object.is(turns[i], odd[i]), `turn ${odd[i]}`).toBe(true);
    expect(got.flat().map((e) => e.line)).toEqual(odd.map((v) => Math.abs(v)));
  });

  it('a session swept as idle and pushed again at once starts a new batch (no event lost to a freed slot)', () => {
    const out: string[][] = [];
    const s = new SessionSorter((evs) => out.push(evs.map((e) => `${e.sessionId}@${e.timestampUs / 3.6e9}h`)));
    const ev = (sid: string, hours: number, type = 'TTS_START'): FileEvent => ({ timestampUs: hours * 3.6e9, eventType: type, sessionId: sid, data: {}, file: 0, line: 0 });
    s.push(ev('X', 0));
    s.push(ev('X', 2)); // X idle for 2 h (> 1 h): swept before this push lands
    s.push(ev('Y', 2.1));
    s.push(ev('X', 2.2, 'SESSION_END'));
    s.finish();
    expect(out).toEqual([['X@0h'], ['X@2h', 'X@2.2h'], ['Y@2.1h']]);
  });

  it('reuses its slots: buffered events follow the open sessions, not the input', () => {
    const s = new SessionSorter(() => undefined);
    let t = 0;
    for (let sess = 0; sess < 2000; sess++) {
      for (let k = 0; k < 20; k++) s.push({ timestampUs: t++, eventType: 'X', sessionId: `s${sess}`, data: {}, file: 0, line: t });
      expect(s.bufferedEvents).toBe(20);
      s.push({ timestampUs: t++, eventType: 'SESSION_END', sessionId: `s${sess}`, data: {}, file: 0, line: t });
    }
    expect(s.bufferedEvents).toBe(0);
    expect(s.openSessions).toBe(0);
  });
});

describe('ChurnMap', () => {
  it('behaves as a Map (entries and insertion order) across its renewals', () => {
    const m = new ChurnMap<string, number>();
    const ref = new Map<string, number>();
    let seed = 1;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 60_000; i++) {
      const k = `k${rnd(500)}`;
      if (rnd(3) === 0) expect(m.delete(k)).toBe(ref.delete(k));
      else {
        m.set(k, i);
        ref.set(k, i);
      }
      if (i % 7919 === 0) expect([...m]).toEqual([...ref]);
    }
    expect([...m.entries()]).toEqual([...ref.entries()]);
    expect([...m.values()]).toEqual([...ref.values()]);
    expect(m.size).toBe(ref.size);
    expect(m.get('k1')).toBe(ref.get('k1'));
  });
});
