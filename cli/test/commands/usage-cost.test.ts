import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from './run.js';

/**
 * `summary --json` usage and cost on a demo run (issue 11), every figure recounted here from the
 * raw JSONL lines; the demo's own cost (counted live, `demo --prices`) agrees with the offline one.
 */
const dir = mkdtempSync(join(tmpdir(), 'vme-usage-cost-'));
const logs = join(dir, 'logs');
const PRICES = { tts: 15, llmIn: 0.15, llmOut: 0.6, sttMinute: 0.006 };
const full = join(dir, 'full.json');
const noStt = join(dir, 'no-stt.json');
let demoOut = '';

interface Line {
  event_type: string;
  session_id: string | null;
  span_id?: string;
  data: Record<string, unknown>;
}
let lines: Line[] = [];

beforeAll(async () => {
  writeFileSync(
    full,
    JSON.stringify({
      date: '2026-11-30',
      currency: 'USD',
      prices: {
        openai: { 'tts-1': { per_1m_characters: PRICES.tts }, 'gpt-4o-mini': { per_1m_input_tokens: PRICES.llmIn, per_1m_output_tokens: PRICES.llmOut } },
        whisper: { base: { per_audio_minute: PRICES.sttMinute } },
      },
    }),
  );
  // the same without a price for the demo's STT: its usage is then unpriced
  writeFileSync(noStt, JSON.stringify({ date: '2026-11-30', prices: { openai: JSON.parse(readFileSync(full, 'utf8')).prices.openai } }));
  const demo = await cli(['demo', '--dir', logs, '--sessions', '3', '--turns', '4', '--speed', '100', '--seed', '7', '--barge-in-rate', '0.3', '--prices', full]);
  expect(demo.code, demo.stderr).toBe(0);
  demoOut = demo.stdout;
  for (const f of readdirSync(logs)) for (const l of readFileSync(join(logs, f), 'utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Line);
  lines = lines.filter((l) => l.session_id !== null);
}, 60_000);

/** Usage recounted from the raw lines, per session. */
function recount(): Map<string, { chars: number; audio: number; tin: number; tout: number }> {
  const per = new Map<string, { chars: number; audio: number; tin: number; tout: number }>();
  for (const l of lines) {
    let u = per.get(l.session_id!);
    if (u === undefined) per.set(l.session_id!, (u = { chars: 0, audio: 0, tin: 0, tout: 0 }));
    if (l.event_type === 'TTS_START') u.chars += l.data.characters as number;
    if (l.event_type === 'STT_START') u.audio += l.data.audio_s as number;
    if (l.event_type === 'LLM_COMPLETE') {
      u.tin += (l.data.input_tokens as number) ?? 0;
      u.tout += (l.data.output_tokens as number) ?? 0;
    }
  }
  return per;
}

const costOf = (u: { chars: number; audio: number; tin: number; tout: number }, stt = true): number =>
  (u.chars * PRICES.tts) / 1e6 + (stt ? (u.audio / 60) * PRICES.sttMinute : 0) + (u.tin * PRICES.llmIn + u.tout * PRICES.llmOut) / 1e6;

/** R-7 quantile of sorted values (what `summary` documents). */
function quantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[lo + 1] ?? sorted[lo]!) - sorted[lo]!);
}

interface Summary {
  usage: Record<'tts' | 'stt' | 'llm', Record<string, unknown> & { models: Record<string, unknown>[] }>;
  cost?: {
    total: number;
    complete: boolean;
    by_stage: Record<string, number>;
    per_session: { count: number; mean: number; p95: number; total: number };
    sessions_with_unpriced: number;
    unpriced: Record<string, unknown>[];
  };
}

describe('summary --json usage and cost on a demo run', () => {
  it('usage per stage and model equals the figures of the raw lines; without prices there is no cost', async () => {
    const per = [...recount().values()];
    const sum = (k: 'chars' | 'audio' | 'tin' | 'tout'): number => per.reduce((n, u) => n + u[k], 0);
    const s = await json<Summary>(['summary', '--json', logs]);
    expect(s.cost).toBeUndefined();
    expect(sum('chars')).toBeGreaterThan(0);
    expect(s.usage.tts.characters).toBe(sum('chars'));
    expect(s.usage.tts.operations).toBe(lines.filter((l) => l.event_type === 'TTS_START').length);
    expect(s.usage.tts.models).toEqual([{ provider: 'openai', model: 'tts-1', operations: s.usage.tts.operations, characters: sum('chars') }]);
    expect(s.usage.stt.audio_s).toBeCloseTo(sum('audio'), 5);
    expect(s.usage.stt.models[0]).toMatchObject({ provider: 'whisper', model: 'base' });
    // LLM_COMPLETE carries no provider/model: they come from its span's LLM_START
    expect(s.usage.llm.models).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini', operations: lines.filter((l) => l.event_type === 'LLM_COMPLETE').length, input_tokens: sum('tin'), output_tokens: sum('tout') },
    ]);
  });

  it('cost per stage, in total and per session (mean, p95, total) equals the recount; the demo counted the same live', async () => {
    const per = [...recount().values()];
    const s = await json<Summary>(['summary', '--json', logs, '--prices', full]);
    const c = s.cost!;
    const costs = per.map((u) => costOf(u)).sort((a, b) => a - b);
    const total = costs.reduce((a, b) => a + b, 0);
    expect(c.complete).toBe(true);
    expect(c.unpriced).toEqual([]);
    expect(c.total).toBeCloseTo(total, 6);
    expect(c.by_stage.tts).toBeCloseTo((per.reduce((n, u) => n + u.chars, 0) * PRICES.tts) / 1e6, 6);
    expect(c.per_session.count).toBe(3);
    expect(c.per_session.total).toBeCloseTo(total, 6);
    expect(c.per_session.mean).toBeCloseTo(total / 3, 6);
    expect(c.per_session.p95).toBeCloseTo(quantile(costs, 0.95), 6);
    // the demo's live count (same prices) printed the same total
    expect(demoOut).toContain(`total ${total.toFixed(4)} USD`);
    // VOICEMODE_PRICES names the table when --prices is not given
    const viaEnv = await cli(['summary', '--json', logs], { VOICEMODE_PRICES: full });
    expect((JSON.parse(viaEnv.stdout) as Summary).cost?.total).toBe(c.total);
  });

  it('a model without a price is listed as unpriced and its sessions are left out of the per-session cost, never counted as free', async () => {
    const per = [...recount().values()];
    const s = await json<Summary>(['summary', '--json', logs, '--prices', noStt]);
    const c = s.cost!;
    expect(c.complete).toBe(false);
    expect(c.unpriced).toEqual([{ stage: 'stt', provider: 'whisper', model: 'base', operations: s.usage.stt.operations, audio_s: s.usage.stt.audio_s }]);
    expect(c.total).toBeCloseTo(per.reduce((n, u) => n + costOf(u, false), 0), 6); // the priced part only
    expect(c.per_session.count).toBe(0); // every session used the unpriced STT
    expect(c.sessions_with_unpriced).toBe(3);
    const text = await cli(['summary', logs, '--prices', noStt]);
    expect(text.stdout).toMatch(/│ stt\s+│ whisper\s+│ base\s+│ [\d.]+ s of audio\s+│ unpriced\s+│/);
    expect(text.stdout).toContain('for the priced usage only');
  });

  it('logs without usage figures (production voicemode): nothing priced, the cost marked incomplete, never 0 per session', async () => {
    const py = join(dir, 'py');
    const at = (s: number): string => `2026-01-05T09:00:0${s}+00:00`;
    const rows = [
      { timestamp: at(0), event_type: 'SESSION_START', session_id: 'p1', data: {} },
      { timestamp: at(1), event_type: 'TTS_START', session_id: 'p1', data: { message: 'Hi', provider: 'openai', voice: 'alloy' } },
      { timestamp: at(2), event_type: 'STT_START', session_id: 'p1', data: { provider: 'whisper' } },
      { timestamp: at(3), event_type: 'SESSION_END', session_id: 'p1', data: {} },
    ];
    mkdirSync(py);
    writeFileSync(join(py, 'voicemode_events_2026-01-05.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const s = await json<Summary>(['summary', '--json', py, '--prices', full]);
    expect(s.usage.tts).toMatchObject({ operations: 0, without_usage: 1 });
    expect(s.usage.stt).toMatchObject({ operations: 0, without_usage: 1 });
    expect(s.cost).toMatchObject({ total: 0, complete: false, unpriced: [], per_session: { count: 0 } });
    const text = await cli(['summary', py, '--prices', full]);
    expect(text.stdout).toContain('Usage: none logged   (events without usage figures: TTS 1, STT 1)');
    expect(text.stdout).toContain('Cost: no usage figures in these logs, nothing to price');
  });

  it('a bad price table stops with exit 2 and names the entry', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: -15 } } } }));
    for (const cmd of [['summary', logs], ['report', logs, '--out', join(dir, 'r.html')], ['demo', '--dir', join(dir, 'd'), '--sessions', '1', '--turns', '1', '--speed', '100']]) {
      const r = await cli([...cmd, '--prices', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`price table ${bad}: prices.openai["tts-1"].per_1m_characters must be a number from 0 to 1000000000, not -15`);
    }
  });
});
