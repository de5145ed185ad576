import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli, FIX, json } from './run.js';

const python = spawnSync('python3', ['--version']).status === 0;
if (!python && !process.env.CI) console.warn('skipping the independent breakdown recomputation: python3 is not installed');

interface Dist {
  count: number;
  mean: number | null;
}

const dir = join(tempDir('vme-breakdown-'), 'logs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('summary --json on a demo folder: the LLM stage and the breakdown', () => {
  it.skipIf(!python && !process.env.CI)('agrees with an independent recomputation from the JSONL (test/fixtures/recompute_breakdown.py)', async () => {
    const demo = await cli(['demo', '--dir', dir, '--sessions', '3', '--turns', '5', '--speed', '100', '--seed', '17', '--error-rate', '0.3']);
    expect(demo.code).toBe(0);
    const s = await json<{
      metrics: Record<string, Dist>;
      breakdown: Record<string, Dist>;
      breakdown_share: Record<string, number>;
      errors_by_stage: Record<string, number>;
    }>(['summary', '--json', dir]);
    // LLM errors count for stage llm, as the live voice.errors counter does
    const raw = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.includes('"LLM_ERROR"')));
    expect(raw.length).toBeGreaterThan(0);
    expect(s.errors_by_stage.llm).toBe(raw.length);
    expect(s.metrics.llm_ttft!.count).toBeGreaterThan(10);
    expect(s.metrics.llm_duration!.count).toBe(s.metrics.llm_ttft!.count);
    const py = JSON.parse(execFileSync('python3', [join(FIX, 'recompute_breakdown.py'), dir], { encoding: 'utf8' })) as Record<string, Dist>;
    expect(py.voice_to_voice!.count).toBe(s.metrics.voice_to_voice!.count);
    expect(py.voice_to_voice!.count).toBeGreaterThan(10);
    expect(py.voice_to_voice!.mean).toBeCloseTo(s.metrics.voice_to_voice!.mean!, 6); // summary --json rounds to the µs
    for (const seg of ['endpointing', 'stt', 'llm', 'tts_wait', 'tts_first_audio']) {
      expect(s.breakdown[seg]!.count, seg).toBe(py[seg]!.count);
      expect(s.breakdown[seg]!.mean, seg).toBeCloseTo(py[seg]!.mean!, 6);
    }
    // The shares of the mean add up to the whole.
    expect(Object.values(s.breakdown_share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // shares rounded to 1e-6 each
  });

  it('a demo with --barge-in-rate 0.3: interruptions equal the TTS_INTERRUPTED lines, recounted from the raw file', async () => {
    const bargeDir = join(dir, '..', 'barge');
    const demo = await cli(['demo', '--dir', bargeDir, '--sessions', '3', '--turns', '6', '--speed', '100', '--seed', '4', '--barge-in-rate', '0.3']);
    expect(demo.code).toBe(0);
    const raw = readdirSync(bargeDir).flatMap((f) => readFileSync(join(bargeDir, f), 'utf8').split('\n').filter((l) => l !== ''));
    const count = (type: string) => raw.filter((l) => (JSON.parse(l) as { event_type: string }).event_type === type).length;
    const cut = count('TTS_INTERRUPTED');
    expect(cut).toBeGreaterThan(0);
    const s = await json<{
      metrics: Record<string, Dist>;
      interruptions: { count: number; replies: number; rate: number };
      no_speech_recordings: number;
    }>(['summary', '--json', bargeDir]);
    expect(s.interruptions.count).toBe(cut);
    expect(s.interruptions.replies).toBe(count('TTS_START') - count('TTS_ERROR'));
    expect(s.interruptions.rate).toBeCloseTo(cut / s.interruptions.replies, 6); // summary --json rounds to 1e-6
    expect(s.metrics.barge_in_stop!.count).toBe(cut);
    expect(s.metrics.tts_playback_interrupted!.count).toBe(cut);
    expect(s.metrics.endpointing_delay!.count).toBe(count('SPEECH_END'));
  });
});
