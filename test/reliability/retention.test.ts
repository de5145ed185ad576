import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyRetention, parseDays } from '../../src/sink/retention.js';
import { tempDir } from '../helpers/harness.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const files = [
  'voicemode_events_2026-11-23.jsonl', // today
  'voicemode_events_2026-11-22.jsonl', // yesterday
  'voicemode_events_2026-11-20.jsonl',
  'voicemode_events_2026-11-13T07.jsonl', // hourly, 10 days old
  'voicemode_events_2026-10-01.jsonl.gz',
  'notes.txt',
];

function folder(): string {
  const dir = join(tempDir(), 'logs');
  mkdirSync(dir);
  for (const f of files) writeFileSync(join(dir, f), `{"event_type":"X","f":"${f}"}\n`);
  return dir;
}

describe('retention of old files', () => {
  it('keeps everything by default', async () => {
    const dir = folder();
    expect(await applyRetention(dir, {}, NOW)).toEqual({ deleted: [], compressed: [] });
    expect(readdirSync(dir).sort()).toEqual([...files].sort());
  });

  it('deletes files more than N days old, whatever their form, and nothing else', async () => {
    const dir = folder();
    const r = await applyRetention(dir, { retentionDays: 7 }, NOW);
    expect(r.deleted.sort()).toEqual(['voicemode_events_2026-10-01.jsonl.gz', 'voicemode_events_2026-11-13T07.jsonl']);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(true);
  });

  it('gzips files more than M days old (0600, same content), never today’s or yesterday’s', async () => {
    const dir = folder();
    const r = await applyRetention(dir, { compressAfterDays: 1 }, NOW);
    expect(r.compressed.sort()).toEqual(['voicemode_events_2026-11-13T07.jsonl', 'voicemode_events_2026-11-20.jsonl']);
    const gz = join(dir, 'voicemode_events_2026-11-20.jsonl.gz');
    expect(gunzipSync(readFileSync(gz)).toString()).toBe('{"event_type":"X","f":"voicemode_events_2026-11-20.jsonl"}\n');
    expect(statSync(gz).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-22.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-23.jsonl'))).toBe(true);
  });

  it('never deletes today’s or yesterday’s file, even with 0 days', async () => {
    const dir = folder();
    await applyRetention(dir, { retentionDays: 0 }, NOW);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-23.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-22.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(false);
  });

  it('both: old files deleted, middle-aged ones compressed', async () => {
    const dir = folder();
    const r = await applyRetention(dir, { retentionDays: 30, compressAfterDays: 2 }, NOW);
    expect(r).toEqual({
      deleted: ['voicemode_events_2026-10-01.jsonl.gz'],
      compressed: ['voicemode_events_2026-11-13T07.jsonl', 'voicemode_events_2026-11-20.jsonl'],
    });
  });

  it.each([
    ['7', 7],
    [' 30 ', 30],
    ['', undefined],
    [undefined, undefined],
  ])('parses %j as %j', (raw, n) => {
    expect(parseDays('VOICEMODE_EVENT_LOG_RETENTION_DAYS', raw, 0, () => undefined)).toBe(n);
  });

  it.each(['-1', '1.5', 'week'])('warns about %j and keeps files', (raw) => {
    const warnings: string[] = [];
    expect(parseDays('VOICEMODE_EVENT_LOG_RETENTION_DAYS', raw, 0, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings[0]).toContain(raw);
  });
});
