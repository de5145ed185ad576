import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../commands/run.js';
import { rng } from './seeded.js';

/**
 * The slow-outlier rule past the exact budget (forced with --exact-samples) on narrow latency
 * distributions, where a quantile sketch's buckets (0.5% of the value: 5 ms at 1 s) are wider
 * than the spread itself: the threshold, the count and the list against the exact run of the
 * same file, through the built CLI.
 */
const dir = mkdtempSync(join(tmpdir(), 'vme-sketched-outliers-'));


const iso = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${String(us % 1000).padStart(3, '0')}Z`);

/** One session per TTFA value (µs), one TTS each, a minute apart, provider openai. */
function writeTtfaLog(folder: string, ttfaUs: (i: number) => number, n: number): string {
  mkdirSync(folder, { recursive: true });
  const lines: string[] = [];
  let t = Date.UTC(2026, 0, 5, 9) * 1000;
  for (let i = 0; i < n; i++) {
    const ttfa = ttfaUs(i);
    const sid = `sess_${i}`;
    const sp = (k: number): { trace_id: string; span_id: string } => ({ trace_id: '0'.repeat(31) + '1', span_id: (i * 10 + k).toString(16).padStart(16, '0') });
    lines.push(JSON.stringify({ timestamp: iso(t), event_type: 'SESSION_START', session_id: sid, data: {}, ...sp(0) }));
    lines.push(JSON.stringify({ timestamp: iso(t + 10), event_type: 'TTS_START', session_id: sid, data: { provider: 'openai', model: 'm1' }, turn: 0, ...sp(1) }));
    lines.push(JSON.stringify({ timestamp: iso(t + 10 + ttfa), event_type: 'TTS_FIRST_AUDIO', session_id: sid, data: {}, turn: 0, ...sp(1) }));
    lines.push(JSON.stringify({ timestamp: iso(t + 20 + ttfa), event_type: 'SESSION_END', session_id: sid, data: {}, ...sp(0) }));
    t += 60_000_000 + ttfa;
  }
  writeFileSync(join(folder, 'voicemode_events_2026-01-05.jsonl'), lines.join('\n') + '\n');
  return folder;
}

interface Group {
  metric: string;
  provider: string;
  count: number;
  median: number;
  mad: number;
  threshold: number;
}
interface AnomaliesOut {
  slow_outliers: number;
  approximate: false | { metrics: string[]; count_exact: boolean; sample_size: number; note: string };
  outlier_groups: Group[];
  outliers: { seconds: number; session_id: string }[];
}

const anomalies = (folder: string, budget?: number): Promise<AnomaliesOut> =>
  json<AnomaliesOut>(['anomalies', folder, '--json', '--limit', '100000', ...(budget === undefined ? [] : ['--exact-samples', String(budget)])]);

let tight: string;
let spread: string;
let many: string;
let flat: string;

beforeAll(() => {
  const r1 = rng(999);
  // 1 s ± 3 ms, every 50th reply 20 ms slower (2%): MAD ~1.5 ms, threshold ~1.008 s
  tight = writeTtfaLog(join(dir, 'tight'), (i) => 1_000_000 + Math.round((r1() - 0.5) * 6000) + (i % 50 === 7 ? 20_000 : 0), 2000);
  const r2 = rng(7);
  // the same, a fifth of them up to 100 ms slower: hundreds of outliers spread past the threshold
  spread = writeTtfaLog(join(dir, 'spread'), (i) => 1_000_000 + Math.round((r2() - 0.5) * 6000) + (i % 5 === 1 ? Math.round(r2() * 100_000) : 0), 3000);
  const r3 = rng(3);
  // more outliers than the 1000 kept: the count cannot be read from the kept ones
  many = writeTtfaLog(join(dir, 'many'), (i) => 1_000_000 + Math.round((r3() - 0.5) * 6000) + (i % 3 === 1 ? 20_000 + Math.round(r3() * 100_000) : 0), 6000);
  // every reply as fast as the others: no outlier at all
  flat = writeTtfaLog(join(dir, 'flat'), () => 250_000, 500);
});

describe('slow outliers past the exact budget, narrow distributions', () => {
  it('1 s ± 3 ms with a 2% tail 20 ms slower: median, MAD, threshold and count as in the exact run', async () => {
    const exact = await anomalies(tight);
    const approx = await anomalies(tight, 50);
    const e = exact.outlier_groups[0]!;
    const a = approx.outlier_groups[0]!;
    expect(e.mad).toBeGreaterThan(0.001); // the MAD is above the 1 ms floor: the threshold follows it
    expect(exact.slow_outliers).toBe(40);
    // the sample holds every value here (2000 < 65,536): the same median and MAD up to rounding;
    // tolerance 0.1 ms on the threshold (the sketch's buckets gave 1.0465 against 1.0082)
    expect(Math.abs(a.median - e.median)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(a.mad - e.mad)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(a.threshold - e.threshold)).toBeLessThanOrEqual(1e-4);
    expect(approx.slow_outliers).toBe(exact.slow_outliers);
    expect(approx.outliers.map((o) => o.session_id).sort()).toEqual(exact.outliers.map((o) => o.session_id).sort());
    expect(exact.approximate).toBe(false);
    expect(approx.approximate).toMatchObject({ metrics: ['ttfa'], count_exact: true });
  }, 60_000);

  it('the count is never below the listed outliers: exact while the kept slowest reach the threshold', async () => {
    const exact = await anomalies(spread);
    const approx = await anomalies(spread, 50);
    expect(exact.slow_outliers).toBeGreaterThan(100);
    expect(exact.slow_outliers).toBeLessThan(1000); // all of them among the 1000 kept
    expect(approx.slow_outliers).toBeGreaterThanOrEqual(approx.outliers.length);
    expect(approx.slow_outliers).toBe(approx.outliers.length);
    expect(Math.abs(approx.outlier_groups[0]!.threshold - exact.outlier_groups[0]!.threshold)).toBeLessThanOrEqual(1e-4);
    expect(approx.slow_outliers).toBe(exact.slow_outliers);
    expect(approx.approximate).toMatchObject({ count_exact: true });
  }, 60_000);

  it('more outliers than kept: counted by bucket, not fewer than listed, close to the exact count, and said so', async () => {
    const exact = await anomalies(many);
    const approx = await anomalies(many, 50);
    expect(exact.slow_outliers).toBeGreaterThan(1000);
    expect(approx.outliers.length).toBe(1000);
    expect(approx.slow_outliers).toBeGreaterThanOrEqual(approx.outliers.length);
    expect(Math.abs(approx.slow_outliers - exact.slow_outliers)).toBeLessThanOrEqual(0.02 * exact.slow_outliers);
    expect(approx.approximate).toMatchObject({ count_exact: false });
    const text = await cli(['anomalies', many, '--exact-samples', '50']);
    expect(text.stdout).toContain('the count by sketch bucket');
  }, 60_000);

  it('anomalies (text) says the figures are approximate even when no outlier is listed', async () => {
    const text = await cli(['anomalies', flat, '--exact-samples', '50']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Anomalies: 0 slow outlier(s)');
    expect(text.stdout).toMatch(/Approximate for ttfa: more than 50 samples of this metric: median and MAD per provider from a seeded uniform sample/);
    const exact = await cli(['anomalies', flat]);
    expect(exact.stdout).not.toContain('Approximate');
  }, 60_000);
});

describe('--exact-samples takes digits only', () => {
  it.each(['', '0x10', '1e3', '-1', '1.5', ' 7', '99999999999999999999'])('rejects %j with exit code 2', async (raw) => {
    const r = await cli(['anomalies', flat, '--exact-samples', raw]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--exact-samples must be a whole number >= 0, in digits');
  });

  it('accepts 0 and 0010', async () => {
    expect((await anomalies(flat, 0)).approximate).toMatchObject({ metrics: ['ttfa'] });
    const r = await cli(['anomalies', flat, '--json', '--exact-samples', '0010']);
    expect(r.code).toBe(0);
  });
});
