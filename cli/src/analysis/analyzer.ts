import { kindOfErrorEvent, putData } from 'voicemode-events/internal';
import {
  type DerivationTotals,
  METRIC_NAMES,
  type MetricName,
  MetricsDeriver,
  type SampleLabels,
  type SampleSink,
  SEGMENT_NAMES,
  type SegmentName,
  type SeriesName,
  zeroCounts,
} from 'voicemode-events/metrics';
import { ChurnMap } from '../reader/churn-map.js';
import type { FileEvent } from '../reader/parse-line.js';
import { withCapacity } from '../reader/typed-arrays.js';
import {
  findErrorBursts,
  findOutliers,
  MAX_LISTED,
  sumCounts,
  type Anomalies,
  type BackwardsStep,
  type ErrorEvent,
  type UnpairedStart,
} from './anomalies.js';
import { ConversationLinker } from './conversations.js';
import { IdSet } from './id-set.js';
import { EMPTY_DISTRIBUTION, type Distribution } from './quantiles.js';
import { NO_LABEL, quantileMode, SampleStore, type LabelKey, type QuantileMode } from './sample-store.js';
import { TheirNumbers, type TheirComparison } from './their-numbers.js';
import { TurnAssigner } from './turns.js';
import { TypeNames } from './type-names.js';
import type { PriceTable } from './prices.js';
import { UsageCounter, type CostJson, type UsageJson } from './usage.js';

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
  /** Price table: the analysis then has `cost` (per session, stage and model). */
  prices?: PriceTable | undefined;
  /** Samples per series kept for exact percentiles (sample-store.ts EXACT_SAMPLES); beyond, sketches. */
  exactSamples?: number | undefined;
}

export interface Analysis {
  events: number;
  sessions: number;
  /** Sessions chained into conversations (analysis/conversations.ts). */
  conversations: number;
  turns: number;
  errors: number;
  /** Errors by stage: tts, stt, recording, llm (from *_ERROR), tool (failed or cancelled tool calls), other. */
  errorsByStage: Record<string, number>;
  /** voicemode's embedded timings (data.metrics) beside ours. */
  theirNumbers: TheirComparison[];
  firstUs: number | null;
  lastUs: number | null;
  eventTypes: Record<string, number>;
  metrics: Record<MetricName, Distribution>;
  /** voice_to_voice broken down into its segments (they add up to it, reply by reply). */
  breakdown: Record<SegmentName, Distribution>;
  totals: DerivationTotals;
  groups?: Record<string, Record<MetricName, Distribution>> | undefined;
  /** Which series' percentiles are approximate (sketched past the exact budget). */
  quantiles: QuantileMode;
  anomalies: Anomalies;
  store: SampleStore;
  /** Characters, audio seconds and tokens by stage and provider/model (analysis/usage.ts). */
  usage: UsageJson;
  /** With a price table only. */
  cost: CostJson | undefined;
}

const MAX_BACKWARDS_DETAILS = 1000;
const MAX_SPAN_KEYS = 10_000;
const NIL = -1;

/**
 * The last timestamp seen per (session, span key) in file order, for backwards detection:
 * a session's keys are forgotten at its SESSION_END, and all of them once it holds
 * MAX_SPAN_KEYS (the null session has no end).
 *
 * Kept in flat columns (typed arrays, maps to slot numbers) rather than a map of maps: the
 * state of a session is short-lived, and per-session objects referenced from long-lived maps
 * were promoted to the old generation en masse (with everything they held), which made up
 * much of the peak heap of a large run.
 */
export class LastInFile {
  /** session id -> session slot */
  private readonly sessions = new ChurnMap<string | null, number>();
  private sFree: number[] = [];
  private sCap = 0;
  /** Head of the session's own list of span entries. */
  private sHead: Int32Array = new Int32Array(0);
  /** Keys held by the session (its span entries and the '' key). */
  private sSize: Int32Array = new Int32Array(0);
  /** Last time of the session's lines without span id (NaN: none yet). */
  private sNoSpan: Float64Array = new Float64Array(0);

  /** span key -> first entry of the chain of entries with that key (one per session holding it) */
  private readonly byKey = new ChurnMap<string, number>();
  private eCap = 0;
  private eFree = NIL;
  private eOwner: Int32Array = new Int32Array(0);
  private eTs: Float64Array = new Float64Array(0);
  private eNextSame: Int32Array = new Int32Array(0);
  private eNextOwn: Int32Array = new Int32Array(0);
  private eKey: (string | undefined)[] = [];
  /** The session of the last check and its slot (most lines continue the session of the line before). */
  private lastSid: string | null | undefined;
  private lastSlot = NIL;

  /**
   * The previous time when `us` goes backwards for this session and key (the time is then not
   * kept); otherwise records `us` and returns undefined.
   */
  check(sid: string | null, key: string, us: number): number | undefined {
    let s = sid === this.lastSid ? this.lastSlot : this.sessions.get(sid);
    if (s === undefined) {
      s = this.newSession();
      this.sessions.set(sid, s);
    }
    this.lastSid = sid;
    this.lastSlot = s;
    if (key === '') {
      const prev = this.sNoSpan[s]!;
      if (us < prev) return prev; // false while there is none (NaN)
      if (this.sSize[s]! >= MAX_SPAN_KEYS) this.clear(s);
      if (Number.isNaN(this.sNoSpan[s]!)) this.sSize[s]!++;
      this.sNoSpan[s] = us;
      return undefined;
    }
    const head = this.byKey.get(key);
    let e = head ?? NIL;
    while (e !== NIL && this.eOwner[e] !== s) e = this.eNextSame[e]!;
    if (e !== NIL) {
      const prev = this.eTs[e]!;
      if (us < prev) return prev;
      if (this.sSize[s]! < MAX_SPAN_KEYS) {
        this.eTs[e] = us;
        return undefined;
      }
    }
    // a new key for this session (or the same one after clearing a full session)
    if (this.sSize[s]! >= MAX_SPAN_KEYS) this.clear(s);
    if (this.eFree === NIL) this.growEntries(Math.max(256, this.eCap * 2));
    const n = this.eFree;
    this.eFree = this.eNextSame[n]!;
    this.eOwner[n] = s;
    this.eTs[n] = us;
    this.eKey[n] = key;
    this.eNextOwn[n] = this.sHead[s]!;
    this.sHead[s] = n;
    this.sSize[s]!++;
    // `head` is still the chain's first entry: clear() above only unlinks this session's entries,
    // and `key` had none (the walk found none, or it was full and just cleared)
    const first = e === NIL ? head : this.byKey.get(key);
    this.eNextSame[n] = first ?? NIL;
    this.byKey.set(key, n);
    return undefined;
  }

  /** Forgets the session's keys. */
  endSession(sid: string): void {
    const s = this.sessions.get(sid);
    if (s === undefined) return;
    this.clear(s);
    this.sessions.delete(sid);
    this.sFree.push(s);
    this.lastSid = undefined;
  }

  private clear(s: number): void {
    for (let e = this.sHead[s]!; e !== NIL; ) {
      const nextOwn = this.eNextOwn[e]!;
      const key = this.eKey[e]!;
      // unlink from the chain of its key (short: one entry per session holding the key)
      const first = this.byKey.get(key)!;
      if (first === e) {
        const rest = this.eNextSame[e]!;
        if (rest === NIL) this.byKey.delete(key);
        else this.byKey.set(key, rest);
      } else {
        let p = first;
        while (this.eNextSame[p] !== e) p = this.eNextSame[p]!;
        this.eNextSame[p] = this.eNextSame[e]!;
      }
      this.eKey[e] = undefined;
      this.eNextSame[e] = this.eFree;
      this.eFree = e;
      e = nextOwn;
    }
    this.sHead[s] = NIL;
    this.sSize[s] = 0;
    this.sNoSpan[s] = Number.NaN;
  }

  private newSession(): number {
    if (this.sFree.length === 0) {
      const cap = Math.max(32, this.sCap * 2);
      this.sHead = withCapacity(this.sHead, cap);
      this.sSize = withCapacity(this.sSize, cap);
      this.sNoSpan = withCapacity(this.sNoSpan, cap);
      for (let i = cap - 1; i >= this.sCap; i--) this.sFree.push(i);
      this.sCap = cap;
    }
    const s = this.sFree.pop()!;
    this.sHead[s] = NIL;
    this.sSize[s] = 0;
    this.sNoSpan[s] = Number.NaN;
    return s;
  }

  private growEntries(cap: number): void {
    this.eOwner = withCapacity(this.eOwner, cap);
    this.eNextSame = withCapacity(this.eNextSame, cap);
    this.eNextOwn = withCapacity(this.eNextOwn, cap);
    this.eTs = withCapacity(this.eTs, cap);
    for (let i = this.eCap; i < cap; i++) this.eKey.push(undefined);
    for (let i = cap - 1; i >= this.eCap; i--) {
      this.eNextSame[i] = this.eFree;
      this.eFree = i;
    }
    this.eCap = cap;
  }
}

/**
 * The deriver's samples, as fields, into the sample store's columns and their numbers: no
 * MetricSample object per sample (~0.86 samples per event; docs/performance.md, round 7).
 */
class AnalyzerSamples implements SampleSink {
  constructor(
    private readonly store: SampleStore,
    private readonly theirs: TheirNumbers,
  ) {}

  sample(
    metric: SeriesName,
    seconds: number,
    startUs: number,
    endUs: number,
    sessionId: string | null,
    turn: number,
    _traceId: string | undefined,
    _spanId: string | undefined,
    labels: SampleLabels,
  ): void {
    this.store.addFields(metric, seconds, startUs, sessionId, turn, labels);
    this.theirs.sample(metric, seconds, endUs, sessionId);
  }
}

export class Analyzer {
  readonly store: SampleStore;
  private readonly deriver: MetricsDeriver;
  private events = 0;
  private errors = 0;
  private firstUs = Number.POSITIVE_INFINITY;
  private lastUs = Number.NEGATIVE_INFINITY;
  /** Per event type: its count and error stage (one Map lookup per event: EventType). */
  private readonly eventTypes = new Map<string, EventType>();
  /** Every session seen (a compact exact set: analysis/id-set.ts). */
  private readonly sessionIds = new IdSet();
  private readonly turnState = new ChurnMap<string, TurnAssigner>();
  private turns = 0;
  private readonly errorEvents: ErrorEvent[] = [];
  private readonly errorsByStage = new Map<string, number>();
  private readonly linker: ConversationLinker;
  private readonly theirs: TheirNumbers;
  private readonly usage: UsageCounter;
  private readonly unpairedList: UnpairedStart[] = [];
  /** Last timestamp per session and span in file order (backwards detection). */
  private readonly lastInFile = new LastInFile();
  private readonly typeNames = new TypeNames();
  private backwards = 0;
  /** Steps with the file index (resolved to a path in finish(): the file list is complete by then). */
  private readonly backwardsSteps: (Omit<BackwardsStep, 'file'> & { file: number })[] = [];

  constructor(private readonly opts: AnalyzerOptions = {}) {
    const labels: LabelKey[] = [...(opts.labels ?? [])];
    if (opts.by) labels.push(opts.by);
    this.store = new SampleStore({ details: opts.details === true, labels, exactSamples: opts.exactSamples });
    this.usage = new UsageCounter(opts.prices);
    this.theirs = new TheirNumbers(opts.exactSamples);
    this.deriver = new MetricsDeriver(
      new AnalyzerSamples(this.store, this.theirs),
      opts.details === true
        ? (metric, start) => {
            if (this.unpairedList.length < MAX_LISTED) this.unpairedList.push({ metric, sessionId: start.sessionId, turn: start.turn, us: start.us });
          }
        : undefined,
    );
    this.linker = new ConversationLinker(
      (events) => this.addLinked(events),
      (s) => this.store.add(s),
      (key) => this.deriver.endConversation(key),
      this.sessionIds, // one set: our sessions are flagged in it
    );
  }

  /** Every event in file (merge) order, before sorting: usage and cost; detects timestamps going backwards. */
  observe(ev: FileEvent): void {
    // first: the sorter keeps this string for the analysis of the session (type-names.ts)
    ev.eventType = this.typeNames.of(ev.eventType);
    // usage in file order: the compact reader's figures (ev.usage) do not go through the session sorter
    this.usage.push(ev);
    // null-session lines without span id (voicemode's speak-only calls, CONCH_RELEASE, ...) come
    // from several processes appending to one file: their order across processes means nothing
    if (ev.sessionId === null && ev.spanId === undefined) return;
    const prev = this.lastInFile.check(ev.sessionId, ev.spanId ?? '', ev.timestampUs);
    if (prev !== undefined) {
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
    }
    if (ev.eventType === 'SESSION_END' && ev.sessionId !== null) this.lastInFile.endSession(ev.sessionId);
  }

  /** One session's events (or a run of null-session events), in time order. */
  addSession(events: FileEvent[]): void {
    this.linker.add(events);
  }

  /** A batch with its conversation assigned. */
  private addLinked(events: readonly FileEvent[]): void {
    // a batch is one session's events: its set entry and turn state are looked up once, not per event
    let lastSid: string | undefined;
    let ta: TurnAssigner | undefined;
    for (const ev of events) {
      this.events++;
      const type = ev.eventType;
      let et = this.eventTypes.get(type);
      if (et === undefined) this.eventTypes.set(type, (et = new EventType(type)));
      et.count++;
      if (ev.timestampUs < this.firstUs) this.firstUs = ev.timestampUs;
      if (ev.timestampUs > this.lastUs) this.lastUs = ev.timestampUs;
      const sid = ev.sessionId;
      let turn = ev.turn;
      if (sid !== null) {
        if (sid !== lastSid || ta === undefined) {
          this.sessionIds.add(sid);
          ta = this.turnState.get(sid);
          if (ta === undefined) this.turnState.set(sid, (ta = new TurnAssigner()));
          lastSid = sid;
        }
        turn = ta.assign(type, ev.turn);
        if (type === 'SESSION_END') {
          this.turns += ta.seen.size;
          this.turnState.delete(sid);
          ta = undefined;
        }
      }
      const stage = et.toolEnd ? errorStage(ev) : et.stage;
      if (stage !== undefined) {
        this.errors++;
        this.errorsByStage.set(stage, (this.errorsByStage.get(stage) ?? 0) + 1);
        this.errorEvents.push({ us: ev.timestampUs, sessionId: sid, type, stage, turn });
      }
      this.deriver.push(ev);
      this.theirs.event(ev);
    }
  }

  finish(): Analysis {
    this.linker.finish();
    const totals = this.deriver.finish();
    for (const ta of this.turnState.values()) this.turns += ta.seen.size;
    this.turnState.clear();
    const metrics = {} as Record<MetricName, Distribution>;
    for (const m of METRIC_NAMES) metrics[m] = this.store.column(m).distribution();
    const breakdown = {} as Record<SegmentName, Distribution>;
    for (const s of SEGMENT_NAMES) breakdown[s] = this.store.column(s).distribution();

    let groups: Record<string, Record<MetricName, Distribution>> | undefined;
    const by = this.opts.by;
    if (by) {
      groups = {};
      const per = METRIC_NAMES.map((m) => [m, this.store.column(m).groups(by)] as const);
      const names = new Set<number>();
      for (const [, g] of per) for (const id of g.keys()) names.add(id);
      for (const id of [...names].sort((a, b) => (this.store.labelValues.values[a]! < this.store.labelValues.values[b]! ? -1 : 1))) {
        const g = {} as Record<MetricName, Distribution>;
        for (const [m, byId] of per) g[m] = byId.get(id) ?? { ...EMPTY_DISTRIBUTION };
        putData(groups, this.store.labelValues.values[id] ?? NO_LABEL, g); // a label read from a file may be __proto__
      }
    }

    const cost = this.usage.cost();
    const usage = this.usage.usage();
    const out = findOutliers(this.store, this.opts.details === true);
    const eventTypes: Record<string, number> = {};
    for (const [k, v] of [...this.eventTypes].map(([k, et]) => [k, et.count] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) putData(eventTypes, k, v);
    return {
      events: this.events,
      sessions: this.sessionIds.size,
      conversations: this.linker.conversations,
      turns: this.turns,
      errors: this.errors,
      errorsByStage: Object.fromEntries([...this.errorsByStage].sort()),
      theirNumbers: this.theirs.finish(),
      firstUs: this.events > 0 ? this.firstUs : null,
      lastUs: this.events > 0 ? this.lastUs : null,
      eventTypes,
      metrics,
      breakdown,
      totals,
      groups,
      quantiles: quantileMode(this.store),
      store: this.store,
      usage,
      cost,
      anomalies: {
        outlierGroups: out.groups,
        outliers: out.outliers,
        outlierCount: out.count,
        outlierCountExact: out.countExact,
        unpairedStarts: { ...totals.incomplete },
        unpairedTotal: sumCounts(totals.incomplete),
        unpairedList: this.unpairedList.sort((x, y) => x.us - y.us),
        errorList: this.opts.details === true ? [...this.errorEvents].sort((x, y) => x.us - y.us).slice(0, MAX_LISTED) : [],
        timestampsBackwards: this.backwards,
        backwardsSteps: this.backwardsSteps.map((b) => ({ ...b, file: this.opts.files?.[b.file as number] ?? String(b.file) })),
        errorBursts: findErrorBursts(this.errorEvents),
      },
    };
  }
}


/**
 * What the analyzer keeps per event type: its count, and its error stage worked out once
 * (errorStage tests the type's name; only TOOL_REQUEST_END also depends on the event's data).
 */
class EventType {
  count = 0;
  readonly stage: string | undefined;
  /** TOOL_REQUEST_END: an error or not by its `success` (errorStage per event). */
  readonly toolEnd: boolean;

  constructor(type: string) {
    this.toolEnd = type === 'TOOL_REQUEST_END';
    this.stage = this.toolEnd ? undefined : errorStageOfType(type);
  }
}

/** The error stage of an event type whose events are all errors or all not (every type but TOOL_REQUEST_END). */
function errorStageOfType(type: string): string | undefined {
  if (type.endsWith('_ERROR')) return kindOfErrorEvent(type) ?? 'other'; // the stage of the kind table, as the live voice.errors counter
  return type === 'TOOL_CANCELLED' ? 'tool' : undefined;
}

/** The stage an error event belongs to; undefined for events that are no error. */
export function errorStage(ev: FileEvent): string | undefined {
  const type = ev.eventType;
  // voicemode's tool calls: a failed call ends with success false, a cancelled one logs TOOL_CANCELLED
  if (type === 'TOOL_REQUEST_END') return ev.data.success === false ? 'tool' : undefined;
  return errorStageOfType(type);
}

export { zeroCounts };
