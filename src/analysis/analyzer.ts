import { METRIC_NAMES, MetricsDeriver, zeroCounts, type DerivationTotals, type MetricName } from '../metrics/derive.js';
import type { FileEvent } from '../reader/parse-line.js';
import {
  findErrorBursts,
  findOutliers,
  sumCounts,
  type Anomalies,
  type BackwardsStep,
  type ErrorEvent,
} from './anomalies.js';
import { distribution, type Distribution } from './quantiles.js';
import { NO_LABEL, SampleStore, type LabelKey } from './sample-store.js';
import { TurnAssigner } from './turns.js';

/**
 * Aggregates a run: events (in file order through `observe`, then per session in time order
 * through `addSession`) into counts, metric samples (from metrics/derive.ts, the one
 * derivation) and anomalies. Used by `summary`, `anomalies` and `report`.
 */
export interface AnalyzerOptions {
  /** Break the metrics down by this label. */
  by?: LabelKey | undefined;
  /** Keep start/session/turn of every sample (anomaly details, report). */
  details?: boolean;
  /** Label columns to keep beyond provider and `by`. */
  labels?: readonly LabelKey[];
  /** File paths by index, for anomaly details. */
  files?: readonly string[];
}

export interface Analysis {
  events: number;
  sessions: number;
  turns: number;
  errors: number;
  firstUs: number | null;
  lastUs: number | null;
  eventTypes: Record<string, number>;
  metrics: Record<MetricName, Distribution>;
  totals: DerivationTotals;
  groups?: Record<string, Record<MetricName, Distribution>> | undefined;
  anomalies: Anomalies;
  store: SampleStore;
}

const MAX_BACKWARDS_DETAILS = 1000;
const MAX_SPAN_KEYS = 10_000;

export class Analyzer {
  readonly store: SampleStore;
  private readonly deriver: MetricsDeriver;
  private events = 0;
  private errors = 0;
  private firstUs = Number.POSITIVE_INFINITY;
  private lastUs = Number.NEGATIVE_INFINITY;
  private readonly eventTypes = new Map<string, number>();
  private readonly sessionIds = new Set<string>();
  private readonly turnState = new Map<string, TurnAssigner>();
  private turns = 0;
  private readonly errorEvents: ErrorEvent[] = [];
  /** Last timestamp per session and span in file order (backwards detection). */
  private readonly lastInFile = new Map<string | null, Map<string, number>>();
  private backwards = 0;
  /** Steps with the file index (resolved to a path in finish(): the file list is complete by then). */
  private readonly backwardsSteps: (Omit<BackwardsStep, 'file'> & { file: number })[] = [];

  constructor(private readonly opts: AnalyzerOptions = {}) {
    const labels: LabelKey[] = [...(opts.labels ?? [])];
    if (opts.by) labels.push(opts.by);
    this.store = new SampleStore({ details: opts.details === true, labels });
    this.deriver = new MetricsDeriver((s) => this.store.add(s));
  }

  /** Every event in file (merge) order, before sorting: detects timestamps going backwards. */
  observe(ev: FileEvent): void {
    let spans = this.lastInFile.get(ev.sessionId);
    if (spans === undefined) this.lastInFile.set(ev.sessionId, (spans = new Map()));
    const key = ev.spanId ?? '';
    const prev = spans.get(key);
    if (prev !== undefined && ev.timestampUs < prev) {
      this.backwards++;
      if (this.backwardsSteps.length < MAX_BACKWARDS_DETAILS) {
        this.backwardsSteps.push({
          sessionId: ev.sessionId,
          eventType: ev.eventType,
          file: ev.file,
          line: ev.line,
          us: ev.timestampUs,
          previousUs: prev,
        });
      }
    } else {
      if (spans.size >= MAX_SPAN_KEYS) spans.clear();
      spans.set(key, ev.timestampUs);
    }
    if (ev.eventType === 'SESSION_END' && ev.sessionId !== null) this.lastInFile.delete(ev.sessionId);
  }

  /** One session's events (or a run of null-session events), in time order. */
  addSession(events: readonly FileEvent[]): void {
    for (const ev of events) {
      this.events++;
      const type = ev.eventType;
      this.eventTypes.set(type, (this.eventTypes.get(type) ?? 0) + 1);
      if (ev.timestampUs < this.firstUs) this.firstUs = ev.timestampUs;
      if (ev.timestampUs > this.lastUs) this.lastUs = ev.timestampUs;
      const sid = ev.sessionId;
      if (type.endsWith('_ERROR')) {
        this.errors++;
        this.errorEvents.push({ us: ev.timestampUs, sessionId: sid, type });
      }
      if (sid !== null) {
        this.sessionIds.add(sid);
        let ta = this.turnState.get(sid);
        if (ta === undefined) this.turnState.set(sid, (ta = new TurnAssigner()));
        ta.assign(type, ev.turn);
        if (type === 'SESSION_END') {
          this.turns += ta.seen.size;
          this.turnState.delete(sid);
        }
      }
      this.deriver.push(ev);
    }
  }

  finish(): Analysis {
    const totals = this.deriver.finish();
    for (const ta of this.turnState.values()) this.turns += ta.seen.size;
    this.turnState.clear();
    const metrics = {} as Record<MetricName, Distribution>;
    for (const m of METRIC_NAMES) metrics[m] = distribution(this.store.column(m).values());

    let groups: Record<string, Record<MetricName, Distribution>> | undefined;
    const by = this.opts.by;
    if (by) {
      groups = {};
      const names = new Set<number>();
      for (const m of METRIC_NAMES) for (const v of this.store.column(m).label(by)!) names.add(v);
      for (const id of [...names].sort((a, b) => (this.store.labelValues.values[a]! < this.store.labelValues.values[b]! ? -1 : 1))) {
        const g = {} as Record<MetricName, Distribution>;
        for (const m of METRIC_NAMES) {
          const col = this.store.column(m);
          const lab = col.label(by)!;
          const vals = col.seconds.view(col.n);
          const picked: number[] = [];
          for (let i = 0; i < col.n; i++) if (lab[i] === id) picked.push(vals[i]!);
          g[m] = distribution(Float64Array.from(picked));
        }
        groups[this.store.labelValues.values[id] ?? NO_LABEL] = g;
      }
    }

    const out = findOutliers(this.store, this.opts.details === true);
    const eventTypes: Record<string, number> = {};
    for (const [k, v] of [...this.eventTypes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) eventTypes[k] = v;
    return {
      events: this.events,
      sessions: this.sessionIds.size,
      turns: this.turns,
      errors: this.errors,
      firstUs: this.events > 0 ? this.firstUs : null,
      lastUs: this.events > 0 ? this.lastUs : null,
      eventTypes,
      metrics,
      totals,
      groups,
      store: this.store,
      anomalies: {
        outlierGroups: out.groups,
        outliers: out.outliers,
        outlierCount: out.count,
        unpairedStarts: { ...totals.incomplete },
        unpairedTotal: sumCounts(totals.incomplete),
        timestampsBackwards: this.backwards,
        backwardsSteps: this.backwardsSteps.map((b) => ({ ...b, file: this.opts.files?.[b.file as number] ?? String(b.file) })),
        errorBursts: findErrorBursts(this.errorEvents),
      },
    };
  }
}

export { zeroCounts };
