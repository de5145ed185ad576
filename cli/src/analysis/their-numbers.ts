import type { EventRecord } from 'voicemode-events';
import type { MetricName, SeriesName } from 'voicemode-events/metrics';
import { medianSorted } from './quantiles.js';
import { DIFF_LIMIT_MS } from './thresholds.js';
import { QuantileSketch } from './quantile-sketch.js';
import { EXACT_SAMPLES } from './store-options.js';

export { DIFF_LIMIT_MS };

/**
 * voicemode embeds its own timings in the events: `TTS_PLAYBACK_END.data.metrics.ttfa_ms`,
 * `STT_COMPLETE.data.metrics.request_time_ms` and `RECORDING_END.data.duration` (seconds; our
 * older files wrote `duration_s`: both are read). Setting them beside the values derived from
 * the event timestamps (ttfa of the same TTS operation, stt_latency of the same STT,
 * recording_duration of the same recording) is how a user learns to trust either number. A
 * value of 0 is voicemode's "not measured" (e.g. no first chunk) and is not compared. Lines
 * with `span_id` (ours) are not compared: their numbers are ours.
 */
const MAX_LISTED = 1000;

interface Embedded {
  /** The event that carries their number. */
  type: string;
  /** Its key (the first one present counts), in `data.metrics` or else in `data`. */
  key: string;
  alternatives?: readonly string[];
  inMetrics: boolean;
  /** Their unit to ms. */
  toMs: number;
  metric: MetricName;
}
const EMBEDDED: readonly Embedded[] = [
  { type: 'TTS_PLAYBACK_END', key: 'ttfa_ms', inMetrics: true, toMs: 1, metric: 'ttfa' },
  { type: 'STT_COMPLETE', key: 'request_time_ms', inMetrics: true, toMs: 1, metric: 'stt_latency' },
  { type: 'RECORDING_END', key: 'duration', alternatives: ['duration_s'], inMetrics: false, toMs: 1000, metric: 'recording_duration' },
];
const COMPARED: ReadonlySet<SeriesName> = new Set<SeriesName>(EMBEDDED.map((e) => e.metric));
/** One lookup per event: most events carry none of their numbers. */
const BY_TYPE: ReadonlyMap<string, Embedded> = new Map(EMBEDDED.map((e) => [e.type, e]));

/** Their number in an event's data, or undefined. Own keys only (data comes from the input). */
function theirValue(data: Record<string, unknown>, e: Embedded): number | undefined {
  let holder: unknown = data;
  if (e.inMetrics) holder = Object.getOwnPropertyDescriptor(data, 'metrics')?.value;
  if (typeof holder !== 'object' || holder === null) return undefined;
  for (const key of [e.key, ...(e.alternatives ?? [])]) {
    const v: unknown = Object.getOwnPropertyDescriptor(holder, key)?.value;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v * e.toMs;
    if (v !== undefined) return undefined;
  }
  return undefined;
}

export interface TheirPair {
  sessionId: string | null;
  us: number;
  oursMs: number;
  theirsMs: number;
}

export interface TheirComparison {
  /** Their key, e.g. `ttfa_ms`, and our metric it is compared with. */
  key: string;
  metric: MetricName;
  pairs: number;
  /** Median of ours - theirs, ms; null without pairs. */
  medianDiffMs: number | null;
  /** Pairs differing by more than DIFF_LIMIT_MS (at most MAX_LISTED kept; `over` counts all). */
  over: number;
  overPairs: TheirPair[];
  /**
   * The median came from a sketch (more pairs than the exact budget). The differences have both
   * signs, so the bound is absolute: within RELATIVE_ERROR of the larger (in size) of the two
   * middle differences it interpolates between, not of the median itself (which can be near 0).
   */
  approximate: boolean;
}

/** The differences of one key: one by one up to the exact budget, then a quantile sketch (as the sample store). */
class Side {
  diffs: number[] | undefined = [];
  sketch: QuantileSketch | undefined;
  over = 0;
  readonly overPairs: TheirPair[] = [];

  constructor(private readonly exactSamples: number) {}

  add(d: number): void {
    if (this.diffs !== undefined && this.diffs.length < this.exactSamples) {
      this.diffs.push(d);
      return;
    }
    if (this.sketch === undefined) {
      this.sketch = new QuantileSketch();
      for (const v of this.diffs ?? []) this.sketch.accept(v);
      this.diffs = undefined;
    }
    this.sketch.accept(d);
  }
}

/** Our sample's value and end, as TheirNumbers keeps it. */
interface Ours {
  seconds: number;
  endUs: number;
}

export class TheirNumbers {
  constructor(private readonly exactSamples = EXACT_SAMPLES) {}

  /**
   * Our latest sample per metric and session (its value and end), waiting for the event that
   * carries theirs. The deriver hands samples as fields (no object per sample): a session's
   * entry is a record rewritten in place.
   */
  private readonly latest = new Map<MetricName, Map<string | null, Ours>>();
  private readonly sides = new Map<string, Side>();

  /** A sample the deriver produced. */
  sample(metric: SeriesName, seconds: number, endUs: number, sessionId: string | null): void {
    if (!COMPARED.has(metric)) return;
    let m = this.latest.get(metric as MetricName);
    if (m === undefined) this.latest.set(metric as MetricName, (m = new Map()));
    const ours = m.get(sessionId);
    if (ours === undefined) m.set(sessionId, { seconds, endUs });
    else {
      ours.seconds = seconds;
      ours.endUs = endUs;
    }
  }

  /** An event, after the deriver has seen it. */
  event(ev: EventRecord): void {
    if (ev.eventType === 'SESSION_END') {
      for (const m of this.latest.values()) m.delete(ev.sessionId);
      return;
    }
    // lines with span_id are ours: the numbers in them are ours too, nothing to compare with
    // (tested first: our own files' lines then cost no lookup of their type)
    if (ev.spanId !== undefined) return;
    const e = BY_TYPE.get(ev.eventType);
    if (e !== undefined) {
      const theirs = theirValue(ev.data, e);
      if (theirs === undefined) return;
      const ours = this.latest.get(e.metric)?.get(ev.sessionId);
      if (ours === undefined || ours.endUs > ev.timestampUs) return;
      this.latest.get(e.metric)!.delete(ev.sessionId);
      let side = this.sides.get(e.key);
      if (side === undefined) this.sides.set(e.key, (side = new Side(this.exactSamples)));
      const oursMs = ours.seconds * 1000;
      side.add(oursMs - theirs);
      if (Math.abs(oursMs - theirs) > DIFF_LIMIT_MS) {
        side.over++;
        if (side.overPairs.length < MAX_LISTED) side.overPairs.push({ sessionId: ev.sessionId, us: ev.timestampUs, oursMs, theirsMs: theirs });
      }
    }
  }

  finish(): TheirComparison[] {
    return EMBEDDED.map((e) => {
      const side = this.sides.get(e.key) ?? new Side(this.exactSamples);
      if (side.sketch) {
        return { key: e.key, metric: e.metric, pairs: side.sketch.count, medianDiffMs: side.sketch.quantile(0.5), over: side.over, overPairs: side.overPairs, approximate: true };
      }
      const sorted = Float64Array.from(side.diffs ?? []).sort();
      return {
        key: e.key,
        metric: e.metric,
        pairs: sorted.length,
        medianDiffMs: sorted.length > 0 ? medianSorted(sorted) : null,
        over: side.over,
        overPairs: side.overPairs,
        approximate: false,
      };
    });
  }
}
