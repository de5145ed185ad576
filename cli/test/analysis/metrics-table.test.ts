import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MetricName } from '../../../src/metrics/derive.js';
import { analyze } from './pipeline.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'vme-metrics-'));

/** Our spec-case file rewritten in the span-exporter order: each span's lines when the span ends, the session span last. */
function exporterOrder(src: string): string {
  const lines = readFileSync(src, 'utf8').trim().split('\n');
  const objs = lines.map((l) => JSON.parse(l) as { span_id: string; event_type: string });
  const sessionSpan = objs.find((o) => o.event_type === 'SESSION_START')!.span_id;
  // spans in the order they end (their last line), the session span last
  const lastIndex = new Map<string, number>();
  objs.forEach((o, i) => lastIndex.set(o.span_id, i));
  const order = [...lastIndex.keys()].filter((s) => s !== sessionSpan).sort((a, b) => lastIndex.get(a)! - lastIndex.get(b)!);
  order.push(sessionSpan);
  const out = order.flatMap((s) => lines.filter((_, i) => objs[i]!.span_id === s));
  const path = join(tmp, 'voicemode_events_exporter-order.jsonl');
  writeFileSync(path, out.join('\n') + '\n');
  return path;
}

function variant(name: string, make: () => string): { name: string; path: () => string } {
  return { name, path: make };
}

const SPEC_CASE: Partial<Record<MetricName, number[]>> = {
  ttfa: [0.3, 0.4],
  tts_playback: [1.5, 2.55],
  recording_duration: [31.8],
  stt_latency: [0.6],
  response_time: [1.2], // the spec's sketch says -34.9 here
  voice_to_voice: [1.6],
};

const PYTHON: Partial<Record<MetricName, number[]>> = {
  ttfa: [0.12, 0.3, 0.3], // conv_a: failed attempt (incomplete), then the retry 0.3; conv_b 0.12; then 0.3
  tts_playback: [1, 2],
  recording_duration: [2.5],
  stt_latency: [0.4],
  response_time: [1.2],
  voice_to_voice: [1.6],
};

const CASES = [
  { ...variant('ours (spec -34.9 s case)', () => join(FIX, 'ours-spec-case.jsonl')), expect: SPEC_CASE, sessions: 1, skipped: 0, incomplete: 0, turns: 2 },
  { ...variant('ours, span-exporter line order', () => exporterOrder(join(FIX, 'ours-spec-case.jsonl'))), expect: SPEC_CASE, sessions: 1, skipped: 0, incomplete: 0, turns: 2 },
  {
    ...variant('ours, gzip', () => {
      const p = join(tmp, 'voicemode_events_2025-06-23.jsonl.gz');
      writeFileSync(p, gzipSync(readFileSync(join(FIX, 'ours-spec-case.jsonl'))));
      return p;
    }),
    expect: SPEC_CASE,
    sessions: 1,
    skipped: 0,
    incomplete: 0,
    turns: 2,
  },
  {
    ...variant('python variant (+00:00, no fraction, null session, unknown types, data.metrics, blank and torn lines, TTS error + retry, interleaved)', () =>
      join(FIX, 'python-variant.jsonl'),
    ),
    expect: PYTHON,
    sessions: 2,
    skipped: 1,
    incomplete: 2, // conv_a's failed TTS_START, conv_b's TTS with no playback is not a start of playback: ttfa ok; b never recorded
    turns: 3,
  },
];

describe('metrics from hand-written logs in every format variant', () => {
  it.each(CASES)('$name', async (c) => {
    const { analysis, stats, values } = await analyze([c.path()]);
    for (const [metric, expected] of Object.entries(c.expect)) expect(values[metric as MetricName], metric).toEqual(expected);
    expect(analysis.sessions).toBe(c.sessions);
    expect(stats.skippedLines).toBe(c.skipped);
    expect(analysis.turns).toBe(c.turns);
    for (const v of Object.values(values)) for (const x of v) expect(x).toBeGreaterThanOrEqual(0);
    expect(analysis.anomalies.timestampsBackwards).toBe(0);
  });

  it('the python variant: counts, unknown types kept, error counted, the failed attempt incomplete', async () => {
    const { analysis, stats } = await analyze([join(FIX, 'python-variant.jsonl')]);
    expect(stats.events).toBe(22);
    expect(analysis.events).toBe(22);
    expect(analysis.errors).toBe(1);
    expect(analysis.eventTypes.TOOL_REQUEST_START).toBe(1);
    expect(analysis.eventTypes.TIME_SINCE_LAST_SESSION).toBe(1);
    expect(analysis.totals.incomplete.ttfa).toBe(1);
  });

  it('two files merged by time give the same values as one', async () => {
    const lines = readFileSync(join(FIX, 'ours-spec-case.jsonl'), 'utf8').trim().split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'vme-split-'));
    writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl'), lines.slice(0, 7).join('\n') + '\n');
    writeFileSync(join(dir, 'voicemode_events_2025-06-24.jsonl'), lines.slice(7).join('\n') + '\n');
    const { values } = await analyze([dir]);
    expect(values.response_time).toEqual([1.2]);
    expect(values.ttfa).toEqual([0.3, 0.4]);
  });
});
