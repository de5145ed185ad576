import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../commands/run.js';
import { missingReason, writeVoicemodeLog, type WrittenLog } from './voicemode-log.js';

const reason = missingReason();
const inCi = process.env.CI === 'true';

/** A HOME holding the given default folders (relative to it), each with a copy of `file`. */
function homeWith(file: string | undefined, ...folders: string[]): string {
  const home = mkdtempSync(join(tmpdir(), 'vme-home-'));
  for (const f of folders) {
    mkdirSync(join(home, f), { recursive: true });
    if (file) copyFileSync(file, join(home, f, 'voicemode_events_2026-11-30.jsonl'));
  }
  return home;
}
const noDirEnv = (home: string): NodeJS.ProcessEnv => ({ HOME: home, VOICEMODE_EVENT_LOG_DIR: '' });

describe('the CLI with no path reads the default folders, and says which', () => {
  it('with neither folder: a usage error naming both', async () => {
    const home = homeWith(undefined);
    const r = await cli(['summary'], noDirEnv(home));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(join(home, 'voicemode_logs'));
    expect(r.stderr).toContain(join(home, '.voicemode/logs/events'));
  });
});

describe.skipIf(reason !== undefined && !inCi)("summary of logs written by voicemode's own event_logger.py", () => {
  let log: WrittenLog;
  beforeAll(async () => {
    if (reason) throw new Error(reason);
    log = await writeVoicemodeLog();
  }, 60_000);

  it('HOME holding only ~/.voicemode/logs/events works with no arguments (text and --json)', async () => {
    const home = homeWith(log.file, '.voicemode/logs/events');
    const j = await cli(['summary', '--json'], noDirEnv(home));
    expect(j.code).toBe(0);
    expect(j.stderr).toBe(`voicemode-events: reading ${join(home, '.voicemode/logs/events')}\n`);
    const s = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ sessions: 9, conversations: 3, replies: 6, unanswered: 3, retried: 1, errors_by_stage: { tool: 1 }, skipped_lines: 1 });
    const theirs = s.their_numbers as Record<string, { pairs: number; over: number; median_diff_ms: number }>;
    // every TTS and every heard STT carries voicemode's own number; ours agree within a millisecond
    expect(theirs.ttfa_ms!.pairs).toBe(10);
    expect(theirs.request_time_ms!.pairs).toBe(7);
    expect(theirs.duration!.pairs).toBe(9); // RECORDING_END's own duration (s), every recording
    for (const t of Object.values(theirs)) {
      expect(t.over).toBe(0);
      expect(Math.abs(t.median_diff_ms)).toBeLessThan(1);
    }
    const t = await cli(['summary'], noDirEnv(home));
    // text lines wrap at 100 columns when stdout is not a terminal (issue 16, item 18)
    expect(t.stdout.replace(/\n  /g, ' ')).toContain('Conversations: 3   Replies: 6   Unanswered: 3   Retried (after no speech): 1   Errors by stage: tool 1');
    expect(t.stdout).toMatch(/Their ttfa_ms beside our ttfa: 10 pair\(s\), median ours - theirs [+-]0\.\d ms, 0 differ by more than 50 ms/);
  }, 30_000);

  it('anomalies lists each real one with session, turn and timestamp, and counts the normal cases apart (text and --json)', async () => {
    const j = await cli(['anomalies', log.file, '--json']);
    const an = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(an).toMatchObject({ unpaired_starts: 2, timestamps_backwards: 0, error_bursts: 0, normal: { unanswered: 3, retried: 1 } });
    // in time order: which of the two came first depends on how the processes interleaved
    expect((an.unpaired as { metric: string; turn: number }[]).map((u) => `${u.metric} ${u.turn}`).sort()).toEqual(['stt_latency 1', 'ttfa 0']);
    expect(an.errors).toEqual([expect.objectContaining({ event_type: 'TOOL_REQUEST_END', stage: 'tool', turn: 1 })]);
    const t = await cli(['anomalies', log.file]);
    expect(t.stdout).toMatch(/│ stt_latency │ conv_\d+ │ 1 +│ 2\d{3}-\d\d-\d\dT[\d:.]+Z │/);
    expect(t.stdout).toContain('Not anomalies (normal in a conversation): 3 unanswered (the conversation ended first), 1 retried (recorded again after no speech)');
  }, 30_000);

  it('HOME holding both folders: both are read', async () => {
    const home = homeWith(log.file, 'voicemode_logs', '.voicemode/logs/events');
    const r = await cli(['summary', '--json'], noDirEnv(home));
    expect(r.stderr).toBe(`voicemode-events: reading ${join(home, 'voicemode_logs')} and ${join(home, '.voicemode/logs/events')}\n`);
    expect((JSON.parse(r.stdout) as { files: number }).files).toBe(2);
  }, 30_000);
});

describe('their numbers beside ours', () => {
  it('lists each pair that differs by more than 50 ms, with session and timestamp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-theirs-'));
    const l = (ts: string, type: string, data: object = {}): string =>
      JSON.stringify({ timestamp: `2026-11-30T10:00:${ts}+00:00`, event_type: type, session_id: 'conv_1', data });
    writeFileSync(
      join(dir, 'voicemode_events_2026-11-30.jsonl'),
      [
        l('00.000000', 'SESSION_START'),
        l('00.100000', 'TTS_START'),
        l('00.400000', 'TTS_FIRST_AUDIO'), // ours 300 ms
        l('01.000000', 'TTS_PLAYBACK_END', { metrics: { ttfa_ms: 180.0 } }), // theirs 180 ms: 120 ms apart
        l('01.100000', 'TTS_START'),
        l('01.150000', 'TTS_FIRST_AUDIO'), // ours 50 ms
        l('01.500000', 'TTS_PLAYBACK_END', { metrics: { ttfa_ms: 49.0 } }),
        l('01.600000', 'TTS_START'),
        l('01.700000', 'TTS_PLAYBACK_END', { metrics: { ttfa_ms: 0 } }), // 0: voicemode did not measure it
        l('01.800000', 'RECORDING_START'),
        l('01.900000', 'RECORDING_END', { duration: 0.1, samples: 1600 }), // voicemode's key
        l('02.000000', 'RECORDING_START'),
        l('02.100000', 'RECORDING_END', { duration_s: 0.25 }), // our older files' key: 150 ms apart
        l('02.200000', 'SESSION_END'),
      ].join('\n') + '\n',
    );
    const r = await cli(['summary', dir, '--json']);
    const t = (JSON.parse(r.stdout) as { their_numbers: Record<string, unknown> }).their_numbers.ttfa_ms;
    expect(t).toEqual({
      compared_with: 'ttfa',
      pairs: 2,
      median_diff_ms: 60.5,
      median_approximate: false, // always there: true past the exact budget (docs/cli.md)
      over_limit_ms: 50,
      over: 1,
      pairs_over: [{ session_id: 'conv_1', timestamp: '2026-11-30T10:00:01.000000Z', ours_ms: 300, theirs_ms: 180 }],
    });
    const d = (JSON.parse(r.stdout) as { their_numbers: Record<string, { pairs: number; pairs_over: unknown[] }> }).their_numbers.duration!;
    expect(d.pairs).toBe(2);
    expect(d.pairs_over).toEqual([{ session_id: 'conv_1', timestamp: '2026-11-30T10:00:02.100000Z', ours_ms: 100, theirs_ms: 250 }]);
    const text = await cli(['summary', dir]);
    expect(text.stdout).toMatch(/conv_1 .* 2026-11-30T10:00:01\.000000Z .* 300\.0 ms .* 180\.0 ms .* \+120\.0 ms/);
  });
});
