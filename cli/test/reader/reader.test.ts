import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverFiles } from '../../src/reader/discover.js';
import { parseLine, parseTimestampFast } from '../../src/reader/parse-line.js';
import { readEvents } from '../../src/reader/read-events.js';
import { SessionSorter } from '../../src/reader/session-sorter.js';
import type { FileEvent } from '../../src/reader/parse-line.js';
import { parseTimestampUs } from '../../../src/time/format.js';
import fc from 'fast-check';

describe('parseLine: the malformed-line rule', () => {
  const ok = '"timestamp":"2025-06-23T15:30:45.123456Z","event_type":"TTS_START"';
  it.each([
    ['torn line', `{${ok},"session_id":"a","data":{"x"`, false],
    ['not an object', '[1,2]', false],
    ['no timestamp', '{"event_type":"X","data":{}}', false],
    ['bad timestamp', '{"timestamp":"yesterday","event_type":"X"}', false],
    ['empty event_type', '{"timestamp":"2025-06-23T15:30:45Z","event_type":""}', false],
    ['session_id a number', `{${ok},"session_id":5}`, false],
    ['data an array', `{${ok},"data":[1]}`, false],
    ['minimal', `{${ok}}`, true],
    ['null data and session, extra keys', `{${ok},"session_id":null,"data":null,"extra":1}`, true],
    ['unknown type, bad turn ignored', '{"timestamp":"2025-06-23T15:30:45+00:00","event_type":"CONCH_ACQUIRED","turn":"x","session_id":"s"}', true],
  ])('%s', (_name, line, valid) => {
    const ev = parseLine(line, 0, 1);
    expect(ev !== undefined).toBe(valid);
    if (ev) expect(ev.data).toBeTypeOf('object');
  });

  it('the fast timestamp parser agrees with the general one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.constantFrom('Z', '+00:00', '+02:00', '-05:30'),
        fc.integer({ min: 0, max: 6 }),
        (ms, micros, tz, digits) => {
          const base = new Date(ms).toISOString().slice(0, 19);
          const frac = digits === 0 ? '' : '.' + String(micros).padStart(6, '0').slice(0, digits);
          const text = base + frac + tz;
          expect(parseTimestampFast(text)).toBe(parseTimestampUs(text));
        },
      ),
    );
  });
});

describe('discovery and merge', () => {
  it('folders give their log files in date order; explicit files are taken whatever the name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-disc-'));
    for (const n of ['voicemode_events_2025-06-24.jsonl', 'voicemode_events_2025-06-23.jsonl.gz', 'notes.txt', 'voicemode_events_2025-06-23T09.jsonl']) writeFileSync(join(dir, n), '');
    const files = await discoverFiles([dir]);
    expect(files.map((f) => f.path.slice(dir.length + 1))).toEqual([
      'voicemode_events_2025-06-23.jsonl.gz',
      'voicemode_events_2025-06-23T09.jsonl',
      'voicemode_events_2025-06-24.jsonl',
    ]);
    expect(files[0]!.gz).toBe(false); // by magic bytes, not the name (this one is empty)
    const other = join(dir, 'notes.txt');
    expect((await discoverFiles([other]))[0]!.path).toBe(other);
  });

  it('overlapping files interleave by timestamp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-merge-'));
    const line = (s: number, t: string) => JSON.stringify({ timestamp: `2025-06-23T10:00:0${s}Z`, event_type: t, session_id: 'x', data: {} });
    writeFileSync(join(dir, 'voicemode_events_a.jsonl'), [line(1, 'A1'), line(3, 'A3'), line(5, 'A5')].join('\n') + '\n');
    writeFileSync(join(dir, 'voicemode_events_b.jsonl'), [line(2, 'B2'), line(4, 'B4')].join('\n') + '\n\n');
    const seen: string[] = [];
    const stats = await readEvents(await discoverFiles([dir]), (ev) => void seen.push(ev.eventType));
    expect(seen).toEqual(['A1', 'B2', 'A3', 'B4', 'A5']);
    expect(stats).toMatchObject({ files: 2, events: 5, skippedLines: 0 });
  });
});

describe('SessionSorter', () => {
  const ev = (sid: string | null, us: number, type = 'X'): FileEvent => ({ timestampUs: us, eventType: type, sessionId: sid, data: {}, file: 0, line: 0 });
  it('releases a session sorted at SESSION_END; open sessions and null events at finish', () => {
    const out: string[][] = [];
    const s = new SessionSorter((evs) => out.push(evs.map((e) => `${e.sessionId}:${e.timestampUs}`)));
    s.push(ev('a', 30));
    s.push(ev('b', 10));
    s.push(ev('a', 20));
    s.push(ev(null, 5));
    s.push(ev('a', 40, 'SESSION_END'));
    // the null event before the session goes out ahead of it (a speak-only call between calls)
    expect(out).toEqual([['null:5'], ['a:20', 'a:30', 'a:40']]);
    expect(s.openSessions).toBe(1);
    s.finish();
    expect(out.slice(2)).toEqual([['b:10']]);
  });
  it('releases an idle session (no SESSION_END) once the input has moved on', () => {
    const out: number[] = [];
    const s = new SessionSorter((evs) => out.push(evs.length), { idleUs: 1000 });
    s.push(ev('a', 0));
    s.push(ev('b', 70_000_000));
    expect(out).toEqual([1]);
  });
});
