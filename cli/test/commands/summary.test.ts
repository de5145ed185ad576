import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { cli, FIX, json } from './run.js';

type Dist = { count: number; mean: number | null; min: number | null; max: number | null; p50: number | null; p90: number | null; p95: number | null; p99: number | null };
interface Summary {
  files: number;
  events: number;
  skipped_lines: number;
  sessions: number;
  turns: number;
  errors: number;
  metrics: Record<string, Dist>;
  breakdown: Record<string, Dist>;
  incomplete: Record<string, number>;
  groups?: Record<string, Record<string, Dist>>;
  anomalies: { slow_outliers: number; unpaired_starts: number; timestamps_backwards: number; error_bursts: number; outliers?: unknown[]; backwards?: { location: string }[] };
}

const tmp = mkdtempSync(join(tmpdir(), 'vme-cli-'));
let big: string;

beforeAll(async () => {
  big = join(tmp, 'big');
  mkdirSync(big);
  await generateEventsFile(join(big, 'voicemode_events_2026-01-05.jsonl'), { events: 20_000, format: 'mixed', malformedEvery: 5000 });
});

describe('summary', () => {
  it('--json: exactly one object with the issue-2 metric names, seconds, R-7 quantiles', async () => {
    const s = await json<Summary>(['summary', '--json', join(FIX, 'python-variant.jsonl')]);
    expect(Object.keys(s).slice(0, 5)).toEqual(['files', 'events', 'skipped_lines', 'sessions', 'metrics']);
    expect(Object.keys(s.metrics)).toEqual([
      'ttfa',
      'tts_playback',
      'tts_playback_interrupted',
      'recording_duration',
      'endpointing_delay',
      'stt_latency',
      'llm_ttft',
      'llm_duration',
      'response_time',
      'voice_to_voice',
      'barge_in_stop',
      'assistant_think',
      'conch_wait',
    ]);
    expect(Object.keys(s.breakdown)).toEqual(['endpointing', 'stt', 'llm', 'tts_wait', 'tts_first_audio']);
    expect(s).toMatchObject({ files: 1, events: 22, skipped_lines: 1, sessions: 2, errors: 1 });
    expect(s.metrics.ttfa).toMatchObject({ count: 3, min: 0.12, max: 0.3, p50: 0.3 });
    expect(s.metrics.tts_playback!.p90).toBeCloseTo(1.9, 9); // [1, 2]: 1 + 0.9 * (2 - 1)
    expect(s.metrics.tts_playback!.p50).toBeCloseTo(1.5, 9);
    expect(s.metrics.response_time).toMatchObject({ count: 1, min: 1.2 });
    expect(s.incomplete.ttfa).toBe(1);
  });

  it("the spec's -34.9 s case: response time 1.2 s, never negative", async () => {
    const s = await json<Summary>(['summary', '--json', join(FIX, 'ours-spec-case.jsonl')]);
    expect(s.metrics.response_time!.min).toBeCloseTo(1.2, 9);
    expect(s.metrics.voice_to_voice!.min).toBeCloseTo(1.6, 9);
    expect(s.metrics.ttfa).toMatchObject({ count: 2, min: 0.3, max: 0.4 });
    expect(s.turns).toBe(2);
  });

  it('reads .jsonl.gz and folders; the worker path equals the in-thread path on a generated log', async () => {
    const dir = join(tmp, 'gz');
    mkdirSync(dir);
    writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl.gz'), gzipSync(readFileSync(join(FIX, 'ours-spec-case.jsonl'))));
    const s = await json<Summary>(['summary', '--json', dir]);
    expect(s.metrics.response_time!.count).toBe(1);
    const b = await json<Summary>(['summary', '--json', big]);
    expect(b.skipped_lines).toBe(4);
    expect(b.events).toBeGreaterThan(20_000); // plus the null-session events
    expect(b.metrics.ttfa!.count).toBeGreaterThan(1000);
    for (const d of Object.values(b.metrics)) if (d.count > 0) expect(d.min!).toBeGreaterThanOrEqual(0); // never negative
  });

  it('text output: tables, no colour codes when piped, anomalies line', async () => {
    const r = await cli(['summary', join(FIX, 'python-variant.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ttfa');
    expect(r.stdout).toContain('Sessions: 2');
    expect(r.stdout).toMatch(/Incomplete pairs .*ttfa 1/);
    expect(r.stdout).toContain('Anomalies:');
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stderr).toBe('');
  });

  it('--by provider breaks metrics down; --session and --since/--until filter', async () => {
    const s = await json<Summary>(['summary', '--json', '--by', 'provider', join(FIX, 'python-variant.jsonl')]);
    expect(Object.keys(s.groups!)).toEqual(['(none)', 'kokoro', 'openai', 'whisper']);
    expect(s.groups!.kokoro!.ttfa!.count).toBe(1);
    expect(s.groups!.openai!.ttfa!.count).toBe(2);
    const a = await json<Summary>(['summary', '--json', '--session', 'conv_b', join(FIX, 'python-variant.jsonl')]);
    expect(a.sessions).toBe(1);
    expect(a.metrics.ttfa!.count).toBe(1);
    const t = await json<Summary>(['summary', '--json', '--since', '2025-06-23T15:30:05Z', '--until', '2025-06-23T15:30:07.5Z', join(FIX, 'python-variant.jsonl')]);
    expect(t.metrics.response_time!.count).toBe(1);
    expect(t.metrics.recording_duration!.count).toBe(0);
    const none = await json<Summary>(['summary', '--json', '--since', '1h', join(FIX, 'python-variant.jsonl')]);
    expect(none.events).toBe(0);
    expect(none.metrics.ttfa!.p50).toBeNull();
  });

  it('--verbose reports the skipped line as file:line', async () => {
    const r = await cli(['summary', '--json', '--verbose', join(FIX, 'python-variant.jsonl')]);
    expect(r.stderr).toContain('python-variant.jsonl:25');
  });

  it('anomalies: slow outliers per provider, error bursts, timestamps going backwards', async () => {
    const s = await json<Summary>(['anomalies', '--json', big]);
    expect(s.anomalies === undefined).toBe(true);
    const a = s as unknown as Summary['anomalies'];
    expect(a.slow_outliers).toBeGreaterThan(0);
    expect(a.error_bursts).toBeGreaterThan(0);
    const back = join(tmp, 'back.jsonl');
    const lines = readFileSync(join(FIX, 'python-variant.jsonl'), 'utf8').split('\n');
    [lines[7], lines[6]] = [lines[6]!, lines[7]!]; // conv_a's FIRST_AUDIO line before ... swapped with conv_b's
    [lines[19], lines[20]] = [lines[20]!, lines[19]!]; // conv_a: PLAYBACK_START before FIRST_AUDIO in the file
    writeFileSync(back, lines.join('\n'));
    const b = await json<Summary['anomalies']>(['anomalies', '--json', back]);
    expect(b.timestamps_backwards).toBe(1);
    expect(b.backwards![0]!.location).toMatch(/back\.jsonl:21$/);
    const text = await cli(['summary', '--anomalies', big]);
    expect(text.stdout).toContain('Slow outliers');
  });
});

describe('errors: one line on stderr, exit 2 for usage, 1 for data, never a stack trace', () => {
  const cases: { name: string; args: () => string[]; code: number; message: RegExp }[] = [
    { name: 'missing path', args: () => ['summary', join(tmp, 'nope')], code: 2, message: /no such file or folder/ },
    { name: 'unknown option', args: () => ['summary', '--bogus'], code: 2, message: /unknown option '--bogus'/ },
    { name: 'bad --since', args: () => ['summary', '--since', 'yesterday-ish', FIX], code: 2, message: /--since/ },
    { name: 'bad --by', args: () => ['summary', '--by', 'color', FIX], code: 2, message: /--by/ },
    {
      name: 'folder with no logs',
      args: () => {
        const d = join(tmp, 'empty');
        mkdirSync(d, { recursive: true });
        return ['summary', d];
      },
      code: 1,
      message: /no event logs/,
    },
    {
      name: 'corrupt .gz',
      args: () => {
        const p = join(tmp, 'voicemode_events_2025-01-01.jsonl.gz');
        const gz = gzipSync(readFileSync(join(FIX, 'ours-spec-case.jsonl')));
        gz.fill(0x55, 40, 120); // garbage inside the deflate stream
        writeFileSync(p, gz);
        return ['summary', '--strict', p];
      },
      code: 1,
      message: /corrupt gzip file/,
    },
    { name: 'unknown session', args: () => ['timeline', '--session', 'nope', join(FIX, 'ours-spec-case.jsonl')], code: 1, message: /no events for session/ },
    { name: 'timeline without --session', args: () => ['timeline', FIX], code: 2, message: /--session/ },
    { name: 'bad --where', args: () => ['query', '--where', 'novalue', FIX], code: 2, message: /--where/ },
  ];
  it.each(cases)('$name', async (c) => {
    const r = await cli(c.args());
    expect(r.code).toBe(c.code);
    expect(r.stderr).toMatch(c.message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});

describe('--help', () => {
  it.each(['summary', 'timeline', 'query', 'tail', 'replay', 'report', 'anomalies'])('%s --help has an example', async (name) => {
    const r = await cli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example/);
    expect(r.stdout).toContain(`voicemode-events ${name}`);
  });
});
