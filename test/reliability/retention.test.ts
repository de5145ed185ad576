import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyRetention } from '../../src/sink/retention.js';
import { readLogEnv } from '../../src/environment.js';
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
  age(dir);
  return dir;
}

/** Each dated file last modified on its date (as a real log is), so the "recently written" guard does not apply. */
function age(dir: string): void {
  for (const f of readdirSync(dir)) {
    const m = /(\d{4}-\d{2}-\d{2})/.exec(f);
    const t = new Date(m ? `${m[1]}T23:00:00Z` : NOW - 86_400_000 * 400);
    utimesSync(join(dir, f), t, t);
  }
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
    expect(readLogEnv({ VOICEMODE_EVENT_LOG_RETENTION_DAYS: raw }, () => undefined).retentionDays).toBe(n);
  });

  it.each(['-1', '1.5', 'week'])('warns about %j and keeps files', (raw) => {
    const warnings: string[] = [];
    expect(readLogEnv({ VOICEMODE_EVENT_LOG_RETENTION_DAYS: raw }, (m) => warnings.push(m)).retentionDays).toBeUndefined();
    expect(warnings[0]).toContain(raw);
  });

  // issue 16, item 6 (retention half)
  it('never follows a planted .gz.tmp symlink: the target is untouched, the file is left as it is', async () => {
    const dir = folder();
    const victim = join(tempDir(), 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(dir, 'voicemode_events_2026-11-20.jsonl.gz.tmp'));
    const warnings: string[] = [];
    const r = await applyRetention(dir, { compressAfterDays: 1 }, NOW, (m) => warnings.push(m));
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(r.compressed).toEqual(['voicemode_events_2026-11-13T07.jsonl']);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(true);
    expect(readlinkSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz.tmp'))).toBe(victim);
    expect(warnings).toEqual([expect.stringMatching(/\.gz\.tmp exists and is a symbolic link/)]);
  });

  it('replaces a regular .gz.tmp left by a killed run', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz.tmp'), 'half a gzip');
    const r = await applyRetention(dir, { compressAfterDays: 1 }, NOW);
    expect(r.compressed).toContain('voicemode_events_2026-11-20.jsonl');
    expect(gunzipSync(readFileSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz'))).toString()).toContain('2026-11-20');
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz.tmp'))).toBe(false);
  });

  it('only regular files: a symlink named like an old log is neither followed, compressed nor deleted', async () => {
    const dir = folder();
    const target = join(tempDir(), 'elsewhere.jsonl');
    writeFileSync(target, '{"x":1}\n');
    symlinkSync(target, join(dir, 'voicemode_events_2026-11-01.jsonl'));
    const warnings: string[] = [];
    await applyRetention(dir, { compressAfterDays: 1 }, NOW, (m) => warnings.push(m));
    await applyRetention(dir, { retentionDays: 7 }, NOW, (m) => warnings.push(m));
    expect(lstatSync(join(dir, 'voicemode_events_2026-11-01.jsonl')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('{"x":1}\n');
    expect(existsSync(join(dir, 'voicemode_events_2026-11-01.jsonl.gz'))).toBe(false);
    expect(warnings).toEqual([
      expect.stringMatching(/2026-11-01\.jsonl: a symbolic link, not a regular file/),
      expect.stringMatching(/2026-11-01\.jsonl: a symbolic link, not a regular file/),
    ]);
  });

  // issue 16, item 7
  it('never renames over an existing .gz: both files are kept, with a warning', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz'), 'the older archive');
    const warnings: string[] = [];
    const r = await applyRetention(dir, { compressAfterDays: 1 }, NOW, (m) => warnings.push(m));
    expect(r.compressed).toEqual(['voicemode_events_2026-11-13T07.jsonl']);
    expect(readFileSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz'), 'utf8')).toBe('the older archive');
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl.gz.tmp'))).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/already exists/)]);
  });

  it('after a clock step, never touches the file the writer is writing (its own today), whatever Date.now() says', async () => {
    const dir = folder();
    // the writer's clock says 2026-11-20 (e.g. not yet re-anchored after a suspend); the wall clock is 3 days on
    const writerNow = Date.UTC(2026, 10, 20, 18);
    const r = await applyRetention(dir, { retentionDays: 1, compressAfterDays: 1, writerNowMs: () => writerNow }, NOW);
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(true);
    expect(r.deleted).toEqual(['voicemode_events_2026-10-01.jsonl.gz', 'voicemode_events_2026-11-13T07.jsonl']);
  });

  it('never touches a file written in the last hour (another process still appends to it)', async () => {
    const dir = folder();
    const recent = new Date(NOW - 60_000);
    utimesSync(join(dir, 'voicemode_events_2026-11-20.jsonl'), recent, recent);
    const r = await applyRetention(dir, { retentionDays: 1 }, NOW);
    expect(r.deleted).not.toContain('voicemode_events_2026-11-20.jsonl');
    expect(existsSync(join(dir, 'voicemode_events_2026-11-20.jsonl'))).toBe(true);
  });
});
