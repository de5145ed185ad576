import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Rotation } from '../../src/config.js';
import { applyRetention } from '../../src/sink/retention.js';
import { isLogFileName, logFileName, logFileSortKey, parseLogFileName } from '../../src/sink/log-file-name.js';
import { tempDir } from '../helpers/harness.js';

const T = Date.UTC(2026, 10, 3, 7, 59, 59, 999) * 1000 + 999; // 2026-11-03T07:59:59.999999Z

describe('the log-file naming rule', () => {
  it('builds the name of each rotation from the event time (UTC), and recognises what it built', () => {
    const cases: [Rotation, string][] = [
      ['daily', 'voicemode_events_2026-11-03.jsonl'],
      ['hourly', 'voicemode_events_2026-11-03T07.jsonl'],
      ['none', 'voicemode_events.jsonl'],
    ];
    for (const [rotation, name] of cases) {
      expect(logFileName(T, rotation)).toBe(name);
      expect(parseLogFileName(name)?.kind).toBe(rotation);
      expect(parseLogFileName(`${name}.gz`)).toMatchObject({ kind: rotation, gz: true });
      expect(isLogFileName(name)).toBe(true);
    }
    expect(parseLogFileName('voicemode_events_2026-11-03T07.jsonl')).toEqual({ kind: 'hourly', date: '2026-11-03', hour: '07', gz: false });
    expect(logFileName(T + 1, 'hourly')).toBe('voicemode_events_2026-11-03T08.jsonl'); // the next microsecond is the next hour
  });

  it('reads other writers\' suffixes but nothing else', () => {
    expect(parseLogFileName('voicemode_events_a.jsonl')).toEqual({ kind: 'other', gz: false });
    for (const name of ['voicemode_events_2026-11-03.jsonl.tmp', 'voicemode_events_.jsonl', 'x_voicemode_events.jsonl', 'voicemode_events_2026-11-03.json', 'voicemode_events_a b.jsonl']) {
      expect(parseLogFileName(name), name).toBeUndefined();
      expect(isLogFileName(name), name).toBe(false);
    }
    expect(isLogFileName('voicemode_events_2026-11-03.jsonl.gz', { gz: false })).toBe(false);
  });

  it('sorts by the date (and hour) in any name, undated first', () => {
    const names = ['voicemode_events_2026-11-03T10.jsonl', 'voicemode_events.jsonl', 'voicemode_events_2026-11-02.jsonl.gz', 'voicemode_events_2026-11-03T09.jsonl'];
    expect([...names].sort((a, b) => logFileSortKey(a).localeCompare(logFileSortKey(b)))).toEqual([
      'voicemode_events.jsonl',
      'voicemode_events_2026-11-02.jsonl.gz',
      'voicemode_events_2026-11-03T09.jsonl',
      'voicemode_events_2026-11-03T10.jsonl',
    ]);
  });

  it('is the rule of retention: it deletes only the dated names it builds, never undated, other writers\' or other files', async () => {
    const dir = join(tempDir(), 'names');
    mkdirSync(dir);
    const old = Date.UTC(2026, 0, 1) * 1000;
    const named = [logFileName(old, 'daily'), logFileName(old, 'hourly'), logFileName(old, 'none'), 'voicemode_events_a.jsonl', 'notes.jsonl', 'voicemode_events_2026-01-01.jsonl.bak'];
    for (const n of named) {
      writeFileSync(join(dir, n), '');
      utimesSync(join(dir, n), old / 1e6, old / 1e6); // not "still being written"
    }
    const { deleted } = await applyRetention(dir, { retentionDays: 1 }, Date.UTC(2026, 5, 1));
    expect(deleted.sort()).toEqual(named.filter((n) => parseLogFileName(n)?.date !== undefined).sort());
    expect(deleted.sort()).toEqual([logFileName(old, 'daily'), logFileName(old, 'hourly')].sort());
    expect(readdirSync(dir).sort()).toEqual(named.filter((n) => !deleted.includes(n)).sort());
  });
});
