import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { Analyzer, type Analysis } from '../../src/analysis/analyzer.js';
import { RELATIVE_ERROR } from '../../src/analysis/quantile-sketch.js';
import type { Distribution } from '../../src/analysis/quantiles.js';
import { discoverFiles } from '../../src/reader/discover.js';
import { readEvents } from '../../src/reader/read-events.js';
import { SessionSorter } from '../../src/reader/session-sorter.js';
import { anomaliesJson } from '../../src/render-anomalies.js';
import { buildReportData, type ReportData } from '../../src/report/report-data.js';
import { METRIC_NAMES, SEGMENT_NAMES } from '../../../src/metrics/derive.js';
import { cli, json } from '../commands/run.js';

/**
 * The sample store past its exact budget (forced small with `exactSamples`): the same run
 * analysed exactly and with sketches. Figures that stay exact must be equal; percentiles within
 * the sketches' relative error; the slowest samples (kept one by one) equal; and every output
 * says which figures are approximate.
 */
const dir = mkdtempSync(join(tmpdir(), 'vme-bounded-'));
const BUDGET = 300;
let exact: Analysis;
let approx: Analysis;
let exactReport: ReportData;
let approxReport: ReportData;

async function analyse(exactSamples: number | undefined): Promise<Analysis> {
  const files = await discoverFiles([dir]);
  const analyzer = new Analyzer({ details: true, labels: ['model'], by: 'provider', files: files.map((f) => f.path), exactSamples });
  const sorter = new SessionSorter((evs) => analyzer.addSession(evs));
  await readEvents(files, (ev) => {
    analyzer.observe(ev);
    sorter.push(ev);
  });
  sorter.finish();
  return analyzer.finish();
}

function expectClose(a: Distribution, e: Distribution, what: string): void {
  expect(a.count, what).toBe(e.count);
  expect(a.min, what).toBe(e.min);
  expect(a.max, what).toBe(e.max);
  if (e.mean === null) expect(a.mean).toBeNull();
  else expect(a.mean!).toBeCloseTo(e.mean, 9);
  for (const k of ['p50', 'p90', 'p95', 'p99'] as const) {
    if (e[k] === null) expect(a[k]).toBeNull();
    else expect(Math.abs(a[k]! - e[k]), `${what} ${k}: ${a[k]} vs ${e[k]}`).toBeLessThanOrEqual(RELATIVE_ERROR * e[k] * (1 + 1e-9) + 1e-12);
  }
}

beforeAll(async () => {
  // two days, both writers' formats: ~1,700 samples of the busiest series, several providers
  await generateEventsFile(join(dir, 'voicemode_events_2026-01-05.jsonl'), { events: 12_000, format: 'mixed', seed: 21, startMs: Date.UTC(2026, 0, 5, 9) });
  await generateEventsFile(join(dir, 'voicemode_events_2026-01-06.jsonl'), { events: 8000, format: 'ours', seed: 22, startMs: Date.UTC(2026, 0, 6, 9) });
  exact = await analyse(undefined);
  approx = await analyse(BUDGET);
  exactReport = buildReportData(exact, [], 0, anomaliesJson(exact, true));
  approxReport = buildReportData(approx, [], 0, anomaliesJson(approx, true));
}, 60_000);

describe('sample store past its exact budget', () => {
  it('says which series are sketched; the default budget keeps this run exact', () => {
    expect(exact.quantiles.sketched).toEqual([]);
    expect(approx.quantiles.sketched).toEqual([...METRIC_NAMES, ...SEGMENT_NAMES].filter((m) => exact.store.column(m).n > BUDGET));
    expect(approx.quantiles.sketched).toContain('ttfa');
    expect(approx.quantiles.relativeError).toBe(RELATIVE_ERROR);
    for (const m of approx.quantiles.sketched) expect(approx.store.column(m).seconds.view(0).length).toBe(0); // the columns are gone
  });

  it('counts, means, min and max stay exact; percentiles within the relative error (overall, segments, per provider)', () => {
    for (const m of METRIC_NAMES) expectClose(approx.metrics[m], exact.metrics[m], m);
    for (const s of SEGMENT_NAMES) expectClose(approx.breakdown[s], exact.breakdown[s], s);
    expect(Object.keys(approx.groups!)).toEqual(Object.keys(exact.groups!));
    for (const [p, g] of Object.entries(exact.groups!)) for (const m of METRIC_NAMES) expectClose(approx.groups![p]![m], g[m], `${p} ${m}`);
    for (const k of ['events', 'sessions', 'conversations', 'turns', 'errors'] as const) expect(approx[k]).toBe(exact[k]);
  });

  it("the report's slowest turns and replies (with their segments) are the exact ones; daily figures and histograms close", () => {
    expect(approxReport.slowest).toEqual(exactReport.slowest);
    expect(approxReport.slowReplies).toEqual(exactReport.slowReplies);
    expect(approxReport.slowReplies.length).toBe(20);
    for (const m of Object.keys(exactReport.daily)) {
      const e = exactReport.daily[m]!;
      const a = approxReport.daily[m]!;
      expect(a.map((d) => [d.day, d.count])).toEqual(e.map((d) => [d.day, d.count]));
      for (let i = 0; i < e.length; i++) for (const k of ['p50', 'p90', 'p95'] as const) expect(Math.abs(a[i]![k] - e[i]![k])).toBeLessThanOrEqual(RELATIVE_ERROR * e[i]![k] * 1.000001);
    }
    for (const m of Object.keys(exactReport.histograms)) {
      const e = exactReport.histograms[m]!;
      const a = approxReport.histograms[m]!;
      expect(a.map((b) => [b.x0, b.x1])).toEqual(e.map((b) => [b.x0, b.x1])); // the same bins (min and max are exact)
      expect(a.reduce((n, b) => n + b.count, 0)).toBe(e.reduce((n, b) => n + b.count, 0));
    }
    expect(approxReport.breakdown.map((b) => [b.label, b.name, b.metric, b.count])).toEqual(exactReport.breakdown.map((b) => [b.label, b.name, b.metric, b.count]));
    expect(approxReport.quantiles).toMatchObject({ approximate: true, relative_error: RELATIVE_ERROR, exact_samples: BUDGET });
    expect(exactReport.quantiles).toEqual({ approximate: false });
  });

  it('outliers: the same groups with medians close; clear outliers listed in both runs', () => {
    const ea = exact.anomalies;
    const aa = approx.anomalies;
    expect(aa.outlierGroups.map((g) => [g.metric, g.provider, g.count])).toEqual(ea.outlierGroups.map((g) => [g.metric, g.provider, g.count]));
    for (let i = 0; i < ea.outlierGroups.length; i++) {
      const e = ea.outlierGroups[i]!;
      expect(Math.abs(aa.outlierGroups[i]!.median - e.median)).toBeLessThanOrEqual(RELATIVE_ERROR * e.median * 1.000001);
    }
    expect(ea.outlierCount).toBeGreaterThan(0);
    const key = (o: { metric: string; sessionId?: string | undefined; turn?: number | undefined; startUs?: number | undefined }): string => `${o.metric} ${o.sessionId} ${o.turn} ${o.startUs}`;
    const approxKeys = new Set(aa.outliers.map(key));
    const thresholds = new Map(aa.outlierGroups.map((g) => [`${g.metric} ${g.provider}`, g.threshold]));
    // an outlier clearly above both thresholds is listed by both
    const clear = ea.outliers.filter((o) => o.seconds > 1.05 * Math.max(o.threshold, thresholds.get(`${o.metric} ${o.provider}`)!));
    expect(clear.length).toBeGreaterThan(0);
    for (const o of clear) expect(approxKeys.has(key(o)), key(o)).toBe(true);
    expect(Math.abs(aa.outlierCount - ea.outlierCount)).toBeLessThanOrEqual(Math.max(2, 0.1 * ea.outlierCount));
  });
});

describe("their numbers past the budget", () => {
  it('the median of ours - theirs comes from a sketch once a key has more pairs than the budget: same pairs, close median, flagged', () => {
    const sketched = approx.theirNumbers.filter((c) => c.pairs > BUDGET);
    expect(sketched.length).toBeGreaterThan(0);
    for (const c of approx.theirNumbers) {
      const e = exact.theirNumbers.find((x) => x.key === c.key)!;
      expect(c.pairs).toBe(e.pairs);
      expect(c.over).toBe(e.over);
      expect(c.approximate).toBe(c.pairs > BUDGET);
      expect(e.approximate).toBe(false);
      if (e.medianDiffMs !== null) expect(Math.abs(c.medianDiffMs! - e.medianDiffMs)).toBeLessThanOrEqual(RELATIVE_ERROR * Math.abs(e.medianDiffMs) * (1 + 1e-9) + 1e-9);
    }
  });
});

describe('the outputs say when figures are approximate', () => {
  it('summary --json: "quantiles" is {approximate: false}, or which series, the relative error and the budget', async () => {
    const e = await json<{ quantiles: unknown; metrics: Record<string, Distribution> }>(['summary', dir, '--json']);
    expect(e.quantiles).toEqual({ approximate: false });
    const a = await json<{ quantiles: { approximate: boolean; relative_error: number; series: string[]; exact_samples: number }; metrics: Record<string, Distribution> }>([
      'summary',
      dir,
      '--json',
      '--exact-samples',
      String(BUDGET),
    ]);
    expect(a.quantiles).toEqual({ approximate: true, relative_error: RELATIVE_ERROR, series: approx.quantiles.sketched, exact_samples: BUDGET });
    expect(a.metrics.ttfa!.count).toBe(e.metrics.ttfa!.count);
  });

  it('summary (text) and anomalies print a note; the report says so above its metrics', async () => {
    const plain = await cli(['summary', dir]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('Approximate');
    const text = await cli(['summary', dir, '--exact-samples', String(BUDGET)]);
    expect(text.stdout).toMatch(/Approximate percentiles \(within 0\.5%\) for ttfa, .*more than 300 samples each \(--exact-samples\); count, mean, min and max are exact\./s);
    const an = await json<{ approximate: false | { metrics: string[] } }>(['anomalies', dir, '--json', '--exact-samples', String(BUDGET)]);
    expect(an.approximate && an.approximate.metrics).toContain('ttfa');
    expect((await json<{ approximate?: unknown }>(['anomalies', dir, '--json'])).approximate).toBe(false); // always there
    const out = join(dir, 'approx.html');
    expect((await cli(['report', dir, '--out', out, '--exact-samples', String(BUDGET)])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<p class="meta" id="quantiles-note">Approximate percentiles (within 0.5% of the exact value)');
    const exactOut = join(dir, 'exact.html');
    expect((await cli(['report', dir, '--out', exactOut])).code).toBe(0);
    expect(readFileSync(exactOut, 'utf8')).not.toContain('quantiles-note');
    expect((await cli(['summary', dir, '--exact-samples', 'x'])).code).toBe(2);
  }, 60_000);
});
