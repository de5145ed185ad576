import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { cli, FIX, json, spawnCli } from './run.js';

let big: string;
beforeAll(async () => {
  big = join(mkdtempSync(join(tmpdir(), 'vme-q-')), 'voicemode_events_2026-01-05.jsonl');
  await generateEventsFile(big, { events: 50_000, format: 'ours' });
});

describe('query', () => {
  it('--type glob and --where print the original lines as JSONL', async () => {
    const r = await cli(['query', '--type', 'TTS_*', '--where', 'data.provider=openai', join(FIX, 'python-variant.jsonl')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ event_type: 'TTS_START', data: { provider: 'openai' } });
    expect(lines[0]).toBe(
      '{"timestamp": "2025-06-23T15:30:00.100000+00:00", "event_type": "TTS_START", "session_id": "conv_a", "data": {"provider": "openai", "voice": "alloy", "model": "tts-1"}}',
    );
  });

  it('alternatives, null sessions, nested data, !=, --limit', async () => {
    const q = async (...args: string[]) => (await cli(['query', ...args, join(FIX, 'python-variant.jsonl')])).stdout.trim().split('\n').filter(Boolean);
    expect(await q('--type', 'TTS_ERROR,TOOL_*')).toHaveLength(2);
    expect(await q('--where', 'session_id=null')).toHaveLength(1);
    expect(await q('--where', 'data.metrics.request_time_ms=400')).toHaveLength(1);
    expect(await q('--type', 'SESSION_*', '--where', 'session_id!=conv_a')).toHaveLength(2);
    expect(await q('--limit', '4')).toHaveLength(4);
    expect(await q('--session', 'conv_b')).toHaveLength(4);
  });

  it.each(['summary', 'timeline', 'anomalies'])(
    '%s: a reader that goes away (`| head`) ends it quietly, exit 0',
    async (command) => {
      const firstSession = JSON.parse(readFileSync(big, 'utf8').slice(0, 2000).split('\n')[0]!).session_id as string;
      const child = spawnCli(command === 'timeline' ? [command, '--session', firstSession, big] : [command, big]);
      child.stdout!.destroy(); // every write now fails with EPIPE
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
      expect(code).toBe(0);
    },
  );

  it('streams: works under `| head` (stdout closed early) without an error', async () => {
    const child = spawnCli(['query', big]);
    const first = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) {
          child.stdout!.destroy();
          resolve(buf.split('\n')[0]!);
        }
      });
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(JSON.parse(first).event_type).toBe('SESSION_START');
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('timeline', () => {
  it('events relative to the session start, grouped by turn, with each turn’s metrics', async () => {
    const r = await cli(['timeline', '--session', 'conv_1750672800_5e1f00', join(FIX, 'ours-spec-case.jsonl')]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/Session conv_1750672800_5e1f00\s[\s\S]*duration 38\.100s .*turns 2/); // a second line when over 100 columns
    expect(out).toMatch(/Turn 0\n/);
    expect(out).toMatch(/\+34\.900s\s+RECORDING_END/);
    expect(out).toMatch(/metrics: ttfa 0\.400s; tts_playback 2\.550s/);
    expect(out).toMatch(/metrics: ttfa 0\.300s; tts_playback 1\.500s; recording_duration 31\.800s; stt_latency 0\.600s;\n\s+response_time 1\.200s; voice_to_voice 1\.600s/); // wrapped at 100
  });

  it('--json, and Python logs get turns by rule', async () => {
    const t = await json<{ turns: { turn: number; metrics: Record<string, number[]> }[]; session_events: unknown[] }>([
      'timeline',
      '--json',
      '--session',
      'conv_a',
      join(FIX, 'python-variant.jsonl'),
    ]);
    expect(t.turns.map((x) => x.turn)).toEqual([0, 1]);
    expect(t.turns[0]!.metrics.ttfa).toEqual([0.3]);
    expect(t.turns[1]!.metrics.response_time).toEqual([1.2]);
    expect(t.session_events).toHaveLength(2);
  });
});
