import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPriceTable, parsePriceTable, pricesFromOptions } from '../../src/analysis/prices.js';
import { UsageCounter } from '../../src/analysis/usage.js';
import type { EventRecord } from 'voicemode-events';

/**
 * Usage and cost (issue 11): a two-model price table with totals computed by hand, an unpriced
 * model (listed, never free), and the price table's validation.
 */
const TABLE = {
  date: '2026-11-30',
  currency: 'USD',
  prices: {
    openai: {
      'tts-1': { per_1m_characters: 15 },
      'gpt-4o-mini': { per_1m_input_tokens: 0.15, per_1m_output_tokens: 0.6 },
    },
  },
};

let t = 0;
function ev(sessionId: string | null, eventType: string, data: Record<string, unknown> = {}, spanId?: string): EventRecord {
  return { timestampUs: ++t * 1000, eventType, sessionId, data, spanId };
}

/** Three sessions: A and B priced, C with a model the table does not have. */
function conversation(): EventRecord[] {
  return [
    // A: 1,000 characters, 2,000 + 500 tokens (by the LLM_START of the same span)
    ev('A', 'SESSION_START'),
    ev('A', 'TTS_START', { provider: 'openai', model: 'tts-1', characters: 1000 }, 'a1'),
    ev('A', 'LLM_START', { provider: 'openai', model: 'gpt-4o-mini' }, 'a2'),
    ev('A', 'LLM_START', { provider: 'other', model: 'x' }, 'a3'), // another LLM running at once: not a2's labels
    ev('A', 'LLM_COMPLETE', { input_tokens: 2000, output_tokens: 500 }, 'a2'),
    ev('A', 'LLM_ERROR', {}, 'a3'),
    ev('A', 'SESSION_END'),
    // B: 3,000 characters over two attempts (a retry is billed again); tokens of an old log
    // without span ids: the session's latest LLM_START gives the model
    ev('B', 'SESSION_START'),
    ev('B', 'TTS_START', { provider: 'openai', model: 'tts-1', characters: 1500, attempt: 1 }, 'b1'),
    ev('B', 'TTS_ERROR', {}, 'b1'),
    ev('B', 'TTS_START', { provider: 'openai', model: 'tts-1', characters: 1500, attempt: 2 }, 'b2'),
    ev('B', 'LLM_START', { provider: 'openai', model: 'gpt-4o-mini' }),
    ev('B', 'LLM_COMPLETE', { input_tokens: 1000, output_tokens: 1000 }),
    ev('B', 'SESSION_END'),
    // D: an operation that logged no figure: counted as without usage; D's cost is unknown
    ev('D', 'SESSION_START'),
    ev('D', 'TTS_START', { provider: 'openai', model: 'tts-1' }),
    ev('D', 'SESSION_END'),
    // C: an unpriced TTS model, and a priced LLM
    ev('C', 'SESSION_START'),
    ev('C', 'TTS_START', { provider: 'elevenlabs', model: 'eleven_turbo_v2', characters: 500 }, 'c1'),
    ev('C', 'STT_START', { provider: 'whisper', model: 'base', audio_s: 90 }, 'c2'),
    ev('C', 'LLM_START', { provider: 'openai', model: 'gpt-4o-mini' }, 'c3'),
    ev('C', 'LLM_COMPLETE', { input_tokens: 100, output_tokens: 100 }, 'c3'),
    ev('C', 'SESSION_END'),
  ];
}

describe('cost: usage priced with a two-model table', () => {
  it('totals per stage, model and session match the hand-computed figures; the unpriced model is listed, not free', () => {
    const u = new UsageCounter(parsePriceTable(TABLE, 'table.json'));
    for (const e of conversation()) u.push(e);
    const cost = u.cost()!;
    const usage = u.usage();

    // usage (no prices needed)
    expect(usage.tts).toMatchObject({ operations: 4, characters: 4500, without_usage: 1 });
    expect(usage.tts.models).toEqual([
      { provider: 'elevenlabs', model: 'eleven_turbo_v2', operations: 1, characters: 500 },
      { provider: 'openai', model: 'tts-1', operations: 3, characters: 4000 },
    ]);
    expect(usage.stt).toMatchObject({ operations: 1, audio_s: 90 });
    expect(usage.llm).toMatchObject({ operations: 3, input_tokens: 3100, output_tokens: 1600, without_usage: 0 });
    expect(usage.llm.models).toEqual([{ provider: 'openai', model: 'gpt-4o-mini', operations: 3, input_tokens: 3100, output_tokens: 1600 }]);

    // by hand: tts-1 4,000 chars x 15 / 1M = 0.06; gpt-4o-mini (3,100 x 0.15 + 1,600 x 0.6) / 1M = 0.001425
    expect(cost.by_stage.tts).toBeCloseTo(0.06, 12);
    expect(cost.by_stage.llm).toBeCloseTo(0.001425, 12);
    expect(cost.by_stage.stt).toBe(0); // whisper has no price: unpriced, not zero-priced
    expect(cost.total).toBeCloseTo(0.061425, 12);
    expect(cost.complete).toBe(false);
    expect(cost.unpriced).toEqual([
      { stage: 'tts', provider: 'elevenlabs', model: 'eleven_turbo_v2', operations: 1, characters: 500 },
      { stage: 'stt', provider: 'whisper', model: 'base', operations: 1, audio_s: 90 },
    ]);
    // A: 1,000 x 15 / 1M + (2,000 x 0.15 + 500 x 0.6) / 1M = 0.015 + 0.0006 = 0.0156
    // B: 3,000 x 15 / 1M + (1,000 x 0.15 + 1,000 x 0.6) / 1M = 0.045 + 0.00075 = 0.04575
    // C has unpriced usage: its cost is unknown, so it is left out (not counted as cheaper)
    expect(cost.sessions_with_unpriced).toBe(1);
    expect(cost.sessions_without_figures).toBe(1); // D: not a session that cost 0
    expect(cost.per_session.count).toBe(2);
    expect(cost.per_session.total).toBeCloseTo(0.06135, 12);
    expect(cost.per_session.mean).toBeCloseTo(0.030675, 12);
    // p95 of two values: 0.0156 + 0.95 x (0.04575 - 0.0156)
    expect(cost.per_session.p95).toBeCloseTo(0.0442425, 12);
    expect(cost.currency).toBe('USD');
    expect(cost.prices_date).toBe('2026-11-30');
  });

  it('"*" prices every model of a provider without its own entry; a price of 0 is priced, not unpriced', () => {
    const table = parsePriceTable({ date: '2026-11-30', prices: { whisper: { '*': { per_audio_minute: 0 } }, openai: { '*': { per_audio_minute: 0.006 } } } }, 't');
    const u = new UsageCounter(table);
    u.push(ev('D', 'STT_START', { provider: 'whisper', model: 'base', audio_s: 600 }));
    u.push(ev('D', 'STT_START', { provider: 'openai', model: 'whisper-1', audio_s: 90 }));
    u.push(ev('D', 'SESSION_END'));
    const cost = u.cost()!;
    expect(cost.unpriced).toEqual([]);
    expect(cost.complete).toBe(true);
    expect(cost.by_stage.stt).toBeCloseTo(0.009, 12); // 1.5 min x 0.006
    expect(cost.per_session).toMatchObject({ count: 1, total: cost.total });
  });

  it('operations that logged no usage figure make the cost incomplete, not free', () => {
    const u = new UsageCounter(parsePriceTable(TABLE, 't'));
    u.push(ev('E', 'TTS_START', { provider: 'openai', model: 'tts-1' })); // e.g. a voicemode log: no characters
    u.push(ev('E', 'SESSION_END'));
    const cost = u.cost()!;
    expect(cost).toMatchObject({ total: 0, complete: false, models: [], unpriced: [], sessions_with_unpriced: 0 });
    expect(cost.per_session.count).toBe(0); // a session without usage figures is not a session that cost 0
    expect(u.usage().tts).toMatchObject({ operations: 0, without_usage: 1 });
  });

  it('usage logged after SESSION_END (an LLM still answering when the user hung up) belongs to its session and model', () => {
    const u = new UsageCounter(parsePriceTable(TABLE, 't'));
    u.push(ev('L', 'SESSION_START'));
    u.push(ev('L', 'TTS_START', { provider: 'openai', model: 'tts-1', characters: 1000 }, 'l1'));
    u.push(ev('L', 'LLM_START', { provider: 'openai', model: 'gpt-4o-mini' }, 'l2'));
    u.push(ev('L', 'SESSION_END'));
    u.push(ev('L', 'LLM_COMPLETE', { input_tokens: 1_000_000, output_tokens: 1_000_000 }, 'l2'));
    const cost = u.cost()!;
    expect(cost.unpriced).toEqual([]);
    expect(cost.sessions_with_unpriced).toBe(0);
    // one session: 1,000 x 15 / 1M + 0.15 + 0.6 = 0.765
    expect(cost.per_session.count).toBe(1);
    expect(cost.per_session.total).toBeCloseTo(0.765, 12);
  });

  it('without a price table there is usage but no cost', () => {
    const u = new UsageCounter();
    for (const e of conversation()) u.push(e);
    expect(u.cost()).toBeUndefined();
    expect(u.usage().tts.characters).toBe(4500);
  });
});

describe('price table validation', () => {
  const bad = (raw: unknown): string => {
    try {
      parsePriceTable(raw, 'p.json');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('names the bad entry', () => {
    expect(bad({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: -1 } } } })).toBe(
      'price table p.json: prices.openai["tts-1"].per_1m_characters must be a number from 0 to 1000000000, not -1',
    );
    expect(bad({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1M_characters: 15 } } } })).toMatch(
      /prices\.openai\["tts-1"\]\.per_1M_characters is not a price field \(expected per_1m_characters, /,
    );
    expect(bad({ date: '2026-11-30', prices: { openai: { 'gpt-4o': { per_1m_input_tokens: 2.5 } } } })).toBe(
      'price table p.json: prices.openai["gpt-4o"] must give per_1m_input_tokens and per_1m_output_tokens together',
    );
    expect(bad({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: '15' } } } })).toMatch(/must be a number from 0 to 1000000000, not "15"/);
    expect(bad({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: 1e308 } } } })).toMatch(/from 0 to 1000000000, not 1e\+308/);
    expect(bad({ date: '2026-02-31', prices: {} })).toMatch(/date must be the day/); // not a day: Date would roll it into March
    expect(bad({ date: '2026-11-30', currency: null, prices: {} })).toMatch(/currency must be a three-letter code/);
    expect(bad({ date: '2026-11-30', prices: { openai: { 'tts-1': {} } } })).toMatch(/prices\.openai\["tts-1"\] has no price/);
    expect(bad({ date: '2026-11-30', prices: { openai: 15 } })).toMatch(/prices\.openai must be an object/);
    expect(bad({ prices: {} })).toMatch(/date must be the day the prices were looked up/);
    expect(bad({ date: '2026-11-30', currency: 'dollars', prices: {} })).toMatch(/currency must be a three-letter code/);
    expect(bad({ date: '2026-11-30', price: {} })).toMatch(/field "price" is not known/);
    expect(bad([])).toMatch(/must hold one JSON object/);
  });

  it('a "__proto__" provider from the file stays a name: nothing else changes', () => {
    const table = parsePriceTable(JSON.parse('{"date":"2026-11-30","prices":{"__proto__":{"m":{"per_1m_characters":1}}}}'), 'p.json');
    expect(table.byProvider.get('__proto__')?.get('m')).toEqual({ per_1m_characters: 1 });
    expect(({} as Record<string, unknown>).m).toBeUndefined();
  });

  it('reads the file named by --prices, else VOICEMODE_PRICES; a missing or broken file is a usage error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-prices-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(TABLE));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"date": "2026-11-30",');
    expect((await pricesFromOptions(good, {}))?.source).toBe(good);
    expect((await pricesFromOptions(undefined, { VOICEMODE_PRICES: good }))?.currency).toBe('USD');
    expect(await pricesFromOptions(undefined, {})).toBeUndefined();
    await expect(loadPriceTable(broken)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`price table ${broken} is not valid JSON`) });
    await expect(loadPriceTable(join(dir, 'none.json'))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('ENOENT') });
  });

  it('the example table in docs is valid and dated', async () => {
    const table = await loadPriceTable(join(import.meta.dirname, '../../../docs/prices.example.json'));
    expect(table.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.byProvider.get('openai')?.get('tts-1')?.per_1m_characters).toBeGreaterThan(0);
  });
});

/**
 * Ended sessions stay open to late usage for a window of 1,024 sessions, oldest leaving first
 * (issue 14, round 8: the oldest is kept in a ring, and the last session looked up is kept at hand).
 */
describe('usage: the window of ended sessions', () => {
  const prices = () => parsePriceTable(TABLE, 'table.json');
  const tts = (sid: string, characters: number): EventRecord => ev(sid, 'TTS_START', { provider: 'openai', model: 'tts-1', characters });

  it('settles the oldest ended session first; a late operation of a session still in the window joins it, one past it counts apart', () => {
    const u = new UsageCounter(prices());
    // 1,024 sessions with usage, then X: X is the session looked up last
    for (let i = 0; i < 1024; i++) u.push(tts(`s${i}`, 1000));
    u.push(tts('X', 2000));
    u.push(ev('X', 'SESSION_END')); // X ends first: the oldest of the window
    for (let i = 0; i < 1024; i++) u.push(ev(`s${i}`, 'SESSION_END')); // X leaves the window, settled at 2,000 characters
    u.push(tts('X', 4000)); // X again: past the window, a session of its own
    u.push(tts('s1023', 1000)); // still in the window: s1023's own entry
    const per = u.cost()!.per_session;
    // 1,024 sessions (s1023 at 2,000 characters), X at 2,000, X again at 4,000: 1,026 sessions
    expect(per.count).toBe(1026);
    expect(per.total).toBeCloseTo(((1023 * 1000 + 2000 + 2000 + 4000) * 15) / 1e6, 12);
    expect(per.max).toBeCloseTo((4000 * 15) / 1e6, 12);
  });
});
