import { bin } from 'd3-array';
import type { Analysis } from '../analysis/analyzer.js';
import { interruptions } from '../analysis/interruptions.js';
import type { CostJson, UsageJson } from '../analysis/usage.js';
import { distribution, type Distribution } from '../analysis/quantiles.js';
import { NO_LABEL, type LabelKey } from '../analysis/sample-store.js';
import type { QuantileSketch } from '../analysis/quantile-sketch.js';
import { DAY_US } from '../analysis/sketched-series.js';
import { quantilesJson, type QuantilesJson } from '../analysis/store-options.js';
import { formatTimestampUs } from 'voicemode-events/internal';
import { METRIC_NAMES, type MetricName, SEGMENT_NAMES, type SegmentName } from 'voicemode-events/metrics';

/** Everything the HTML report shows, computed in Node (the page only draws). */
export interface ReportData {
  generated: string;
  /** `{approximate: false}`, or which series' percentiles, histograms and daily figures come from sketches (analysis/quantile-sketch.ts). */
  quantiles: QuantilesJson;
  files: string[];
  skippedLines: number;
  events: number;
  sessions: number;
  turns: number;
  errors: number;
  first: string | null;
  last: string | null;
  metrics: Record<MetricName, Distribution>;
  incomplete: Record<MetricName, number>;
  histograms: Record<string, { x0: number; x1: number; count: number }[]>;
  daily: Record<string, { day: string; count: number; p50: number; p90: number; p95: number }[]>;
  breakdown: { label: LabelKey; name: string; metric: MetricName; count: number; p50: number; p95: number; mean: number }[];
  slowest: { metric: MetricName; seconds: number; sessionId: string; turn: number; start: string; provider: string; model: string }[];
  /** voice_to_voice broken down: each segment's distribution. */
  segments: Record<SegmentName, Distribution>;
  /** The slowest replies, each with its segments (they add up to its voice_to_voice). */
  slowReplies: { seconds: number; sessionId: string; turn: number; start: string; parts: Record<SegmentName, number> }[];
  anomalies: Record<string, unknown>;
  /** Replies talked over: TTS operations interrupted out of those that did not fail, and how long the assistant kept talking. */
  bargeIn: { interrupted: number; replies: number; rate: number | null; stop: Distribution; playbackInterrupted: Distribution };
  usage: UsageJson;
  /** With a price table only. */
  cost: CostJson | null;
}

const SLOW_REPLIES = 20;


/**
 * A sketched series as the exact path's histogram: the same 30 "nice" bins d3's `bin` makes
 * for the series' extent (min and max are exact), each bucket counted in the bin holding its
 * representative value (within the sketch's relative error of each of its values).
 */
function sketchHistogram(sk: QuantileSketch): { x0: number; x1: number; count: number }[] {
  if (sk.count === 0) return [];
  const edges = bin().thresholds(30)([sk.min, sk.max]);
  const out = edges.map((b) => ({ x0: b.x0 ?? 0, x1: b.x1 ?? 0, count: 0 }));
  for (const [v, c] of sk.buckets()) {
    let i = out.findIndex((b) => v < b.x1);
    if (i < 0) i = out.length - 1;
    out[i]!.count += c;
  }
  return out;
}

export const HISTOGRAM_METRICS: readonly MetricName[] = ['ttfa', 'response_time', 'voice_to_voice'];
const BREAKDOWN_METRICS: readonly MetricName[] = ['ttfa', 'response_time', 'voice_to_voice', 'stt_latency'];

export function buildReportData(a: Analysis, files: string[], skippedLines: number, anomalies: Record<string, unknown>): ReportData {
  const store = a.store;
  const labelName = (id: number | undefined): string => (id === undefined ? NO_LABEL : (store.labelValues.values[id] ?? NO_LABEL));

  const histograms: ReportData['histograms'] = {};
  const daily: ReportData['daily'] = {};
  for (const m of HISTOGRAM_METRICS) {
    const col = store.column(m);
    if (col.sketch) {
      histograms[m] = sketchHistogram(col.sketch.all);
      daily[m] = col.sketch.days().map(([day, sk]) => {
        const d = sk.distribution();
        return { day: formatTimestampUs(day * DAY_US).slice(0, 10), count: d.count, p50: d.p50!, p90: d.p90!, p95: d.p95! };
      });
      continue;
    }
    const values = Array.from(col.seconds.view(col.n));
    histograms[m] = bin()
      .thresholds(30)(values)
      .map((b) => ({ x0: b.x0 ?? 0, x1: b.x1 ?? 0, count: b.length }));
    const byDay = new Map<string, number[]>();
    const starts = col.startUs?.view(col.n);
    for (let i = 0; i < col.n; i++) {
      const day = formatTimestampUs(starts?.[i] ?? 0).slice(0, 10);
      let list = byDay.get(day);
      if (list === undefined) byDay.set(day, (list = []));
      list.push(values[i]!);
    }
    daily[m] = [...byDay.keys()].sort().map((day) => {
      const d = distribution(Float64Array.from(byDay.get(day)!));
      return { day, count: d.count, p50: d.p50!, p90: d.p90!, p95: d.p95! };
    });
  }

  const breakdown: ReportData['breakdown'] = [];
  for (const label of ['provider', 'model'] as const) {
    for (const m of BREAKDOWN_METRICS) {
      const col = store.column(m);
      if (!col.labelKeys.includes(label)) continue;
      for (const [id, d] of [...col.groups(label)].sort((x, y) => (labelName(x[0]) < labelName(y[0]) ? -1 : 1))) {
        breakdown.push({ label, name: labelName(id), metric: m, count: d.count, p50: d.p50!, p95: d.p95!, mean: d.mean! });
      }
    }
  }

  const slowest: ReportData['slowest'] = [];
  for (const [m, top] of [
    ['response_time', 20],
    ['voice_to_voice', 10],
    ['ttfa', 10],
  ] as const) {
    const col = store.column(m);
    if (col.sketch) {
      for (const e of col.sketch.slowestOverall(top)) {
        slowest.push({
          metric: m,
          seconds: e.seconds,
          sessionId: e.sessionId ?? '',
          turn: e.turn,
          start: formatTimestampUs(e.startUs),
          provider: labelName(e.labels.get('provider')),
          model: labelName(e.labels.get('model')),
        });
      }
      continue;
    }
    const vals = col.seconds.view(col.n);
    const idx = Array.from({ length: col.n }, (_, i) => i)
      .sort((x, y) => vals[y]! - vals[x]!)
      .slice(0, top);
    for (const i of idx) {
      slowest.push({
        metric: m,
        seconds: vals[i]!,
        sessionId: col.session ? (store.sessions.values[col.session.arr[i]!] ?? '') : '',
        turn: col.turn?.arr[i] ?? 0,
        start: col.startUs ? formatTimestampUs(col.startUs.arr[i]!) : '',
        provider: labelName(col.label('provider')?.[i]),
        model: labelName(col.label('model')?.[i]),
      });
    }
  }

  // A reply's segments sit at the same index of their columns as its voice_to_voice: the
  // derivation emits all six together or none. Once sketched, the slowest replies keep theirs.
  const v2v = store.column('voice_to_voice');
  let slowReplies: ReportData['slowReplies'];
  if (v2v.sketch) {
    slowReplies = v2v.sketch.slowestOverall(SLOW_REPLIES).map((e) => {
      const parts = {} as Record<SegmentName, number>;
      for (const seg of SEGMENT_NAMES) parts[seg] = e.parts?.[seg] ?? 0;
      return { seconds: e.seconds, sessionId: e.sessionId ?? '', turn: e.turn, start: formatTimestampUs(e.startUs), parts };
    });
  } else {
    const v2vValues = v2v.seconds.view(v2v.n);
    slowReplies = Array.from({ length: v2v.n }, (_, i) => i)
      .sort((x, y) => v2vValues[y]! - v2vValues[x]!)
      .slice(0, SLOW_REPLIES)
      .map((i) => {
        const parts = {} as Record<SegmentName, number>;
        for (const seg of SEGMENT_NAMES) parts[seg] = store.column(seg).seconds.get(i);
        return {
          seconds: v2vValues[i]!,
          sessionId: v2v.session ? (store.sessions.values[v2v.session.arr[i]!] ?? '') : '',
          turn: v2v.turn?.arr[i] ?? 0,
          start: v2v.startUs ? formatTimestampUs(v2v.startUs.arr[i]!) : '',
          parts,
        };
      });
  }

  return {
    generated: formatTimestampUs(Date.now() * 1000),
    quantiles: quantilesJson(a.quantiles),
    files,
    skippedLines,
    events: a.events,
    sessions: a.sessions,
    turns: a.turns,
    errors: a.errors,
    first: a.firstUs === null ? null : formatTimestampUs(a.firstUs),
    last: a.lastUs === null ? null : formatTimestampUs(a.lastUs),
    metrics: a.metrics,
    incomplete: a.totals.incomplete,
    histograms,
    daily,
    breakdown,
    slowest,
    segments: a.breakdown,
    slowReplies,
    anomalies,
    bargeIn: (() => {
      const cut = interruptions(a);
      return { interrupted: cut.count, replies: cut.replies, rate: cut.rate, stop: a.metrics.barge_in_stop, playbackInterrupted: a.metrics.tts_playback_interrupted };
    })(),
    usage: a.usage,
    cost: a.cost ?? null,
  };
}

export { METRIC_NAMES };
