import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { BUDGET_MARKER, DATA_LIMITS, prepareData } from '../../src/events/sanitize.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

/**
 * Issue #16, item 11: the sanitised data of one event is bounded as a whole (not only per
 * string), before it is copied to the span, the live bus or the file.
 */
const oneMB = 'x'.repeat(1 << 20);
const amplified = (): Record<string, unknown> => ({ items: new Array(1000).fill(oneMB) });

/** Characters of keys and strings in a value (what the budget counts, roughly). */
function chars(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + chars(x), 0);
  if (v && typeof v === 'object') return Object.entries(v).reduce((n, [k, x]) => n + k.length + chars(x), 0);
  return 8;
}
function markers(v: unknown): number {
  return (JSON.stringify(v).match(/\[truncated: event data over/g) ?? []).length;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

describe('event data is bounded as a whole', () => {
  it('{items: Array(1000).fill(1 MB)}: at most the budget, one marker, the first items kept', () => {
    const out = prepareData(amplified());
    const items = out.items as string[];
    expect(chars(out)).toBeLessThanOrEqual(DATA_LIMITS.maxEventChars + BUDGET_MARKER.length);
    expect(markers(out)).toBe(1);
    expect(items.at(-1)).toBe(BUDGET_MARKER);
    expect(items[0]).toMatch(/^x{8192}…\[truncated 1040384 chars\]$/);
    expect(items.length).toBeLessThan(10);
  });

  it.each([
    ['many top-level keys', () => Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, 'value'])) as Record<string, unknown>],
    ['many nested keys', () => ({ n: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, i])) })],
    ['wide and deep', () => ({ a: Array.from({ length: 1000 }, () => ({ b: Array.from({ length: 1000 }, () => 'yy') })) })],
    ['huge keys', () => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${i}`.padEnd(10_000, 'k'), 1])) as Record<string, unknown>],
    ['a Map and a Set', () => ({ m: new Map(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'v'])), s: new Set(Array.from({ length: 900 }, (_, i) => `${i}`.repeat(100))) })],
    ['non-object data', () => [new Array(1000).fill(oneMB)] as unknown as Record<string, unknown>],
  ])('%s: bounded, one marker, in bounded time', (_name, make) => {
    const data = make();
    const t0 = performance.now();
    const out = prepareData(data, 'none');
    const ms = performance.now() - t0;
    expect(chars(out)).toBeLessThanOrEqual(DATA_LIMITS.maxEventChars + 10_000 + BUDGET_MARKER.length); // + one key over the line
    expect(markers(out)).toBe(1);
    expect(ms).toBeLessThan(2000);
  });

  it('data under the budget is copied whole, and sanitising twice changes nothing', () => {
    const small = { text: 'y'.repeat(60_000), n: 1, nested: { a: [1, 2, 3] } };
    expect(prepareData(small)).toEqual({ text: `${'y'.repeat(8192)}…[truncated ${60_000 - 8192} chars]`, n: 1, nested: { a: [1, 2, 3] } });
    const once = prepareData(amplified());
    expect(prepareData(once)).toEqual(once);
  });

  it('an event with such data keeps bounded memory on the open span (heap measured)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const h = makeHarness();
    harnesses.push(h);
    const K = 20;
    let perEventMB = Infinity;
    let attrChars = 0;
    await h.voice.session(async (s) => {
      await s.tts({ text: 'hi' }, async (op) => {
        op.event('TTS_CHUNK', { warm: 1 });
        await h.flush();
        gc();
        const before = process.memoryUsage().heapUsed;
        for (let i = 0; i < K; i++) op.event('TTS_CHUNK', amplified());
        await h.flush();
        gc();
        perEventMB = (process.memoryUsage().heapUsed - before) / K / 2 ** 20;
        const last = (op.span as unknown as { events: { attributes: Record<string, unknown> }[] }).events.at(-1)!;
        attrChars = chars(last.attributes);
      });
    });
    expect(attrChars).toBeLessThanOrEqual(DATA_LIMITS.maxEventChars + BUDGET_MARKER.length);
    expect(perEventMB).toBeLessThan(1); // before the bound: 15.8 MB per event
    const line = h.lines().find((l) => l.event_type === 'TTS_CHUNK' && (l.data as { items?: unknown }).items)!;
    expect(markers(line.data)).toBe(1);
  });
});
