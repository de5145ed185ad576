import { METRIC_NAMES, type MetricCounts, type MetricName } from 'voicemode-events/metrics';
import { medianDeviation, medianSorted } from './quantiles.js';
import { sortValues } from './sort-values.js';
import { NO_LABEL, type SampleStore } from './sample-store.js';
import type { SketchedSeries } from './sketched-series.js';
import { BURST_GAP_US, BURST_MIN, OUTLIER_K, OUTLIER_METRICS as THRESHOLD_OUTLIER_METRICS } from './thresholds.js';

export { BURST_GAP_US, BURST_MIN, OUTLIER_K };

/**
 * Anomaly rules (documented in docs/cli.md):
 * - slow outlier: a sample of a latency metric (ttfa, response_time, voice_to_voice,
 *   stt_latency) whose value is far above the norm *for its provider*: with m the median and
 *   MAD the median absolute deviation of that metric for that provider, it is an outlier when
 *   value > m + K * 1.4826 * max(MAD, 1 ms), K = 3.5 (Iglewicz & Hoaglin's modified z-score
 *   > 3.5, one-sided: only slow values). Groups with fewer than 10 samples are not judged.
 * - unpaired starts: starts whose end never came (the derivation's `incomplete` counts).
 * - timestamps going backwards inside a session: in file order, an event earlier than the
 *   previous event of the same operation (same span_id), or of the same session for lines
 *   without span_id. (Lines of different spans may legitimately be out of order.)
 * - error bursts: *_ERROR events clustered in time (each within 60 s of the previous one),
 *   at least 3 of them.
 */
export const OUTLIER_METRICS: readonly MetricName[] = THRESHOLD_OUTLIER_METRICS;
export const MAD_SCALE = 1.4826;
export const MAD_FLOOR_S = 0.001;
export const OUTLIER_MIN_GROUP = 10;
/** Anomalies listed one by one, at most (the counts are always complete). */
export const MAX_LISTED = 1000;

export interface OutlierGroup {
  metric: MetricName;
  provider: string;
  count: number;
  median: number;
  mad: number;
  threshold: number;
}

export interface Outlier {
  metric: MetricName;
  provider: string;
  seconds: number;
  threshold: number;
  median: number;
  sessionId?: string | undefined;
  turn?: number | undefined;
  startUs?: number | undefined;
}

export interface ErrorEvent {
  us: number;
  sessionId: string | null;
  type: string;
  /** tts, stt, recording, tool, other (analyzer.ts errorStage). */
  stage?: string | undefined;
  turn?: number | undefined;
}

/** A start whose end never came (a failed TTS attempt, an STT that failed, ...). */
export interface UnpairedStart {
  metric: MetricName;
  sessionId: string | null;
  turn: number;
  us: number;
}

export interface ErrorBurst {
  startUs: number;
  endUs: number;
  count: number;
  sessions: number;
  types: Record<string, number>;
}

export interface BackwardsStep {
  sessionId: string | null;
  eventType: string;
  file: string;
  line: number;
  us: number;
  previousUs: number;
}

export interface Anomalies {
  outlierGroups: OutlierGroup[];
  outliers: Outlier[];
  outlierCount: number;
  /** False when some sketched metric's outlier count came from sketch buckets (anomalies.ts, sketchedOutliers). */
  outlierCountExact: boolean;
  unpairedStarts: MetricCounts;
  unpairedTotal: number;
  /** Each unpaired start (with details; the first MAX_LISTED), in time order. */
  unpairedList: UnpairedStart[];
  /** Each error event (with details; the first MAX_LISTED), in time order. */
  errorList: ErrorEvent[];
  timestampsBackwards: number;
  backwardsSteps: BackwardsStep[];
  errorBursts: ErrorBurst[];
}

/** Slow outliers per metric and provider. `details` lists each one (needs the store's detail columns). */
export function findOutliers(store: SampleStore, details: boolean): { groups: OutlierGroup[]; outliers: Outlier[]; count: number; countExact: boolean } {
  const groups: OutlierGroup[] = [];
  const outliers: Outlier[] = [];
  let count = 0;
  let countExact = true;
  for (const metric of OUTLIER_METRICS) {
    const col = store.column(metric);
    if (col.sketch) {
      const r = sketchedOutliers(store, metric, col.sketch, details, groups, outliers);
      count += r.count;
      countExact &&= r.countExact;
      continue;
    }
    const n = col.n;
    // values read from the column's chunks (not joined into one array); provider ids copied once
    const values = col.seconds;
    const prov = col.labelColumn('provider')!.copy(n);
    const thresholds = providerThresholds(store, metric, values, prov, n, groups);
    count += exactOutliers(store, col, metric, values, prov, n, thresholds, details ? outliers : undefined);
  }
  outliers.sort((a, b) => b.seconds / b.threshold - a.seconds / a.threshold);
  return { groups, outliers, count, countExact };
}

type OutlierColumn = ReturnType<SampleStore['column']>;

/*
 * findOutliers' loops, each in its own function: V8 compiles a long loop while it first runs
 * (OSR), and a function holding all four was compiled five times, each loop's entry and each
 * path first taken after that (issue 14, round 4).
 */

/** The rule's threshold per provider id with at least OUTLIER_MIN_GROUP samples; each group is appended to `groups`. */
function providerThresholds(store: SampleStore, metric: MetricName, values: { get(i: number): number }, prov: ArrayLike<number>, n: number, groups: OutlierGroup[]): Map<number, OutlierGroup> {
  const byProvider = valuesByProvider(values, prov, n);
  const thresholds = new Map<number, OutlierGroup>();
  for (const [p, g] of byProvider) {
    if (g.vals.length < OUTLIER_MIN_GROUP) continue;
    const sorted = sortValues(g.vals);
    const median = medianSorted(sorted);
    const mad = medianDeviation(sorted, median);
    const threshold = median + OUTLIER_K * MAD_SCALE * Math.max(mad, MAD_FLOOR_S);
    const group: OutlierGroup = { metric, provider: store.labelValues.values[p] ?? NO_LABEL, count: g.vals.length, median, mad, threshold };
    groups.push(group);
    thresholds.set(p, group);
  }
  return thresholds;
}

/**
 * The values per provider, in typed arrays (no per-sample objects). Each pass over the samples
 * is a function of its own: V8 compiles a long loop on the spot (OSR), and code after it in the
 * same function had no feedback yet, which deoptimised providerThresholds 5-8 times a run
 * (issue 14, round 7).
 */
function valuesByProvider(values: { get(i: number): number }, prov: ArrayLike<number>, n: number): Map<number, { vals: Float64Array; fill: number }> {
  const byProvider = new Map<number, { vals: Float64Array; fill: number }>();
  for (const [p, size] of providerSizes(prov, n)) byProvider.set(p, { vals: new Float64Array(size), fill: 0 });
  fillByProvider(byProvider, values, prov, n);
  return byProvider;
}

/** Samples per provider id. */
function providerSizes(prov: ArrayLike<number>, n: number): Map<number, number> {
  const sizes = new Map<number, number>();
  for (let i = 0; i < n; i++) sizes.set(prov[i]!, (sizes.get(prov[i]!) ?? 0) + 1);
  return sizes;
}

function fillByProvider(byProvider: Map<number, { vals: Float64Array; fill: number }>, values: { get(i: number): number }, prov: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = byProvider.get(prov[i]!)!;
    g.vals[g.fill++] = values.get(i);
  }
}

/** How many samples are above their provider's threshold; each is appended to `list` when given. */
function exactOutliers(
  store: SampleStore,
  col: OutlierColumn,
  metric: MetricName,
  values: { get(i: number): number },
  prov: ArrayLike<number>,
  n: number,
  thresholds: Map<number, OutlierGroup>,
  list: Outlier[] | undefined,
): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const g = thresholds.get(prov[i]!);
    if (g === undefined) continue;
    const v = values.get(i);
    if (v <= g.threshold) continue;
    count++;
    if (list === undefined) continue;
    list.push({
      metric,
      provider: g.provider,
      seconds: v,
      threshold: g.threshold,
      median: g.median,
      sessionId: col.session ? store.sessions.values[col.session.arr[i]!] : undefined,
      turn: col.turn?.arr[i],
      startUs: col.startUs?.arr[i],
    });
  }
  return count;
}

/**
 * The same rule on a sketched series (more samples than the exact budget), per provider:
 * - median and MAD: exact statistics of the provider's seeded uniform sample (reservoir.ts; every
 *   value while at most RESERVOIR_SIZE came), so their error scales with the spread of the
 *   values, not with their magnitude as a sketch bucket's does;
 * - the count: exact when the slowest samples kept for the provider reach down to the threshold
 *   (fewer than SLOWEST_PER_PROVIDER came, or the fastest kept is at or below it): then every
 *   value above it is kept. Otherwise (or without details, when none are kept) counted by sketch
 *   bucket, never fewer than the listed ones;
 * - the list: the kept slowest above the threshold (in sample order, as the exact path lists
 *   them before its sort).
 * Returns the count and whether it is exact for every provider.
 */
function sketchedOutliers(
  store: SampleStore,
  metric: MetricName,
  sk: SketchedSeries,
  details: boolean,
  groups: OutlierGroup[],
  outliers: Outlier[],
): { count: number; countExact: boolean } {
  let count = 0;
  let countExact = true;
  const listed: { seq: number; o: Outlier }[] = [];
  for (const [p, s] of sk.byLabel('provider')) {
    if (s.count < OUTLIER_MIN_GROUP) continue;
    const sample = sortValues(sk.samples!.get(p)!.sample());
    const median = medianSorted(sample);
    const mad = medianDeviation(sample, median);
    const threshold = median + OUTLIER_K * MAD_SCALE * Math.max(mad, MAD_FLOOR_S);
    const provider = store.labelValues.values[p] ?? NO_LABEL;
    groups.push({ metric, provider, count: s.count, median, mad, threshold });
    const top = sk.slowest?.get(p);
    const above = (top?.sorted() ?? []).filter((e) => e.seconds > threshold);
    if (top !== undefined && (!top.full || top.fastest!.seconds <= threshold)) count += above.length;
    else {
      count += Math.max(s.countAbove(threshold), above.length);
      countExact = false;
    }
    if (!details) continue;
    for (const e of above) {
      listed.push({ seq: e.seq, o: { metric, provider, seconds: e.seconds, threshold, median, sessionId: e.sessionId ?? undefined, turn: e.turn, startUs: e.startUs } });
    }
  }
  for (const { o } of listed.sort((a, b) => a.seq - b.seq)) outliers.push(o);
  return { count, countExact };
}

/** Clusters error events (each within 60 s of the previous); clusters of 3 or more are bursts. */
export function findErrorBursts(errors: ErrorEvent[]): ErrorBurst[] {
  const sorted = [...errors].sort((a, b) => a.us - b.us);
  const bursts: ErrorBurst[] = [];
  let cluster: ErrorEvent[] = [];
  const close = (): void => {
    if (cluster.length >= BURST_MIN) {
      const types: Record<string, number> = {};
      for (const e of cluster) types[e.type] = (types[e.type] ?? 0) + 1;
      bursts.push({
        startUs: cluster[0]!.us,
        endUs: cluster[cluster.length - 1]!.us,
        count: cluster.length,
        sessions: new Set(cluster.map((e) => e.sessionId)).size,
        types,
      });
    }
    cluster = [];
  };
  for (const e of sorted) {
    const last = cluster[cluster.length - 1];
    if (last !== undefined && e.us - last.us > BURST_GAP_US) close();
    cluster.push(e);
  }
  close();
  return bursts;
}

export function sumCounts(c: MetricCounts): number {
  let n = 0;
  for (const m of METRIC_NAMES) n += c[m];
  return n;
}
