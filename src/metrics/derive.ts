import type { EventRecord } from '../events/record.js';
import { OPERATION_KINDS, operationKinds, type OperationKind, type OperationMetricDef, type OperationMetricName } from '../events/operation-kinds.js';

/**
 * The one derivation of latency metrics from events, used live by the instrumentation (end
 * of turn, end of session, histograms) and offline by the CLI on JSONL files.
 *
 * Pairing rules (GUIDE §2; the spec's sketch paired the *first* event of each type per
 * session, which is how it reported a response time of -34.9 s):
 * - Operation metrics pair a start with its end *within the same operation*: by `span_id`
 *   when the lines carry one, otherwise by order within the session (the newest open start).
 *   Which events start and end which metric is data: events/operation-kinds.ts
 *   (ttfa, tts_playback, recording_duration, stt_latency, llm_ttft, llm_duration).
 * - Reply metrics follow a RECORDING_END (the user's utterance) in the same session:
 *     response_time   RECORDING_END -> the next TTS_START (the spec's definition)
 *     voice_to_voice  M0 -> M5, broken down into segments that add up to it exactly:
 *       M0 the user's end of speech: the last SPEECH_END of the recording, else RECORDING_END
 *       M1 RECORDING_END          endpointing     = M1 - M0
 *       M2 STT_COMPLETE/NO_SPEECH stt             = M2 - M1
 *       M3 LLM_FIRST_TOKEN        llm             = M3 - M2
 *       M4 TTS_START              tts_wait        = M4 - M3
 *       M5 heard                  tts_first_audio = M5 - M4
 *     "Heard" is the later of TTS_FIRST_AUDIO and TTS_PLAYBACK_START of one TTS operation
 *     (streaming production logs mark playback *before* the first audio), or its
 *     TTS_PLAYBACK_START when its playback ended without a first-audio mark. M4 is that
 *     operation's TTS_START (a failed attempt before it counts as tts_wait). Milestones are
 *     made non-decreasing: a missing or early one takes its predecessor's time (no LLM
 *     logged: its time shows in tts_wait), so every segment is >= 0.
 * - Voice activity (the app's VAD): `endpointing_delay` pairs the last SPEECH_END of a recording
 *   with its RECORDING_END (a SPEECH_START after it withdraws it). In a session that reports VAD,
 *   a recording with no SPEECH_START expects no reply: it is counted (`noSpeechRecordings`) and
 *   opens none. `barge_in_stop` runs from the latest SPEECH_START, when it came after the latest
 *   TTS_START, to TTS_INTERRUPTED; a playback cut short is `tts_playback_interrupted`, not
 *   `tts_playback`.
 * - Conversations: when the reader assigns `conversation` (voicemode's production logs, one
 *   session per converse call, analysis/conversations.ts), the reply state (the pending
 *   RECORDING_END and utterance) is kept per conversation, so a reply pairs with the next
 *   call's TTS, and SESSION_END does not close it. A reply still awaited when its conversation
 *   ends (SESSION_END without conversation key, else the input's end) is `unanswered`, not
 *   incomplete. After STT_NO_SPEECH the next RECORDING_START counts as `retried`, and the
 *   no-speech utterance it replaces is not incomplete.
 * - Nothing is guessed: a start with no end (an error in between, a newer start of the same
 *   operation, the session ending, the input ending) counts as incomplete. An end earlier
 *   than its start (clock trouble in a file) is never reported as a negative value: it is
 *   counted as `backwards`. Equal timestamps give 0.
 * - Turns: lines that carry `turn` keep it; otherwise the turn rule is applied by order:
 *   turn 0 holds what the assistant says before the user first speaks, and every
 *   RECORDING_START opens the next turn.
 */

export type ReplyMetricName = 'response_time' | 'voice_to_voice' | 'barge_in_stop';
/** Assistant time in voicemode's logs: between tool calls (analysis/conversations.ts), waiting for the conch. */
export type AssistantMetricName = 'assistant_think' | 'conch_wait';
export type MetricName = OperationMetricName | ReplyMetricName | AssistantMetricName;
/** Operation metrics in the kind table's order, then the reply metrics, then assistant time. */
export const METRIC_NAMES: readonly MetricName[] = [
  ...operationKinds().flatMap(([, def]) =>
    def.metrics.flatMap((m: OperationMetricDef) => [m.name, ...(m.interruptedAs ? [m.interruptedAs.name] : [])] as OperationMetricName[]),
  ),
  'response_time',
  'voice_to_voice',
  'barge_in_stop',
  'assistant_think',
  'conch_wait',
];

/** The parts of a reply's voice_to_voice, in order (see above). */
export const SEGMENT_NAMES = ['endpointing', 'stt', 'llm', 'tts_wait', 'tts_first_audio'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** Everything a sample can be: a metric or a segment of a reply. */
export type SeriesName = MetricName | SegmentName;
export const SERIES_NAMES: readonly SeriesName[] = [...METRIC_NAMES, ...SEGMENT_NAMES];
const SEGMENT_SET = new Set<string>(SEGMENT_NAMES);
export function isSegment(series: SeriesName): series is SegmentName {
  return SEGMENT_SET.has(series);
}

/** Low-cardinality labels taken from the start event's data. */
export interface SampleLabels {
  provider?: string;
  model?: string;
  voice?: string;
  transport?: string;
}

export interface MetricSample {
  metric: SeriesName;
  /** Seconds, never negative. */
  seconds: number;
  sessionId: string | null;
  turn: number;
  startUs: number;
  endUs: number;
  traceId?: string | undefined;
  spanId?: string | undefined;
  labels: SampleLabels;
}

export type MetricCounts = Record<MetricName, number>;

export function zeroCounts(): MetricCounts {
  const counts = {} as MetricCounts;
  for (const m of METRIC_NAMES) counts[m] = 0;
  return counts;
}

interface OpenStart {
  us: number;
  turn: number;
  sessionId: string | null;
  labels: SampleLabels;
  traceId?: string | undefined;
  spanId?: string | undefined;
  /**
   * When an operation's start was added (SessionState.seq; a start that replaces another keeps
   * its place): the order endSession reports them in. 0 for the reply model's starts. Kept in
   * the start rather than in an array per operation (a second array and its backing store for
   * every operation were ~50 MB of allocation per 1M events).
   */
  seq: number;
}

/** Every start in one shape (the deriver's readers of a start stay monomorphic). */
function openStart(us: number, turn: number, sessionId: string | null, labels: SampleLabels, traceId: string | undefined, spanId: string | undefined, seq: number): OpenStart {
  return { us, turn, sessionId, labels, traceId, spanId, seq };
}

/**
 * What an event type does to the operation metrics: the metrics it starts and ends, the open
 * starts an error closes (incomplete, never paired later). Built once from the kind table.
 * Types not listed (most events) only move the session's clock. One Map lookup per event.
 */
interface Role {
  starts: MetricName[];
  ends: MetricName[];
  closes: MetricName[];
  /** Open starts this event withdraws without counting them (SPEECH_START after a SPEECH_END). */
  withdraws: MetricName[];
  /** An interruption (TTS_INTERRUPTED): the operation's remaining pairs are the interrupted variants. */
  interrupts: boolean;
  /** The slots (see SLOT) of `starts`, `ends` and `withdraws`, same order. */
  startSlots: number[];
  endSlots: number[];
  withdrawSlots: number[];
}
const ROLES = new Map<string, Role>();
/**
 * Each metric that pairs a start with an end gets a slot: an operation's open starts are one
 * small array (see OpenOp), not one Map entry per metric.
 */
const SLOT = new Map<MetricName, number>();
const SLOT_METRIC: MetricName[] = [];
function slotOf(metric: MetricName): number {
  let slot = SLOT.get(metric);
  if (slot === undefined) {
    if (SLOT_METRIC.length >= 30) throw new Error('derive.ts: more than 30 paired metrics (SessionState.usedSlots is a 31-bit mask)');
    slot = SLOT_METRIC.push(metric) - 1;
    SLOT.set(metric, slot);
  }
  return slot;
}
function roleOf(type: string): Role {
  let role = ROLES.get(type);
  if (role === undefined) {
    role = { starts: [], ends: [], closes: [], withdraws: [], interrupts: false, startSlots: [], endSlots: [], withdrawSlots: [] };
    ROLES.set(type, role);
  }
  return role;
}
/** The metrics each kind's events open (what its span can leave open). */
const KIND_METRICS = Object.fromEntries(
  operationKinds().map(([kind, def]) => [kind, (def.metrics as readonly OperationMetricDef[]).map((m) => m.name as MetricName)]),
) as Record<OperationKind, MetricName[]>;
/** Metrics whose newer start replaces an open one silently. */
const LATEST_START_WINS = new Set<MetricName>();
/** A sample of an operation that logged an interruption event (TTS_INTERRUPTED) is recorded under this name instead. */
const INTERRUPTED_AS = new Map<MetricName, MetricName>();
for (const [, def] of operationKinds()) {
  for (const m of def.metrics as readonly OperationMetricDef[]) {
    const name = m.name as MetricName;
    slotOf(name);
    roleOf(m.start).starts.push(name);
    for (const end of m.end) roleOf(end).ends.push(name);
    roleOf(def.errorEvent).closes.push(name);
    for (const type of m.withdrawnBy ?? []) roleOf(type).withdraws.push(name);
    if (m.latestStartWins) LATEST_START_WINS.add(name);
    if (m.interruptedAs) {
      INTERRUPTED_AS.set(name, m.interruptedAs.name as MetricName);
      roleOf(m.interruptedAs.by).interrupts = true;
    }
  }
}
// voicemode's conch (one speaker at a time): the wait for it, paired like an operation
slotOf('conch_wait');
roleOf('CONCH_WAIT_START').starts.push('conch_wait');
roleOf('CONCH_WAIT_END').ends.push('conch_wait');
for (const role of ROLES.values()) {
  role.startSlots = role.starts.map(slotOf);
  role.endSlots = role.ends.map(slotOf);
  role.withdrawSlots = role.withdraws.map(slotOf);
}
/**
 * An operation's starts before any: one entry per slot, so that a new operation's array is a
 * copy of this one at its final size (an empty array grown by its first store at a slot got a
 * backing store of ~17 entries, twice the size; issue 14, round 8).
 */
const NO_STARTS: (OpenStart | undefined)[] = new Array<OpenStart | undefined>(SLOT_METRIC.length).fill(undefined);
/** The slots of each kind's metrics (what its span can leave open). */
const KIND_SLOTS = Object.fromEntries(Object.entries(KIND_METRICS).map(([kind, metrics]) => [kind, metrics.map(slotOf)])) as Record<OperationKind, number[]>;
// Events the reply model reacts to, even where they pair no operation metric.
for (const type of ['SPEECH_START', 'SPEECH_END', 'TTS_INTERRUPTED', 'SESSION_END', 'STT_NO_SPEECH']) roleOf(type);

const TTS_START = OPERATION_KINDS.tts.metrics[0].start;

/** TTS operations a pending reply keeps as candidates (the oldest is forgotten first). */
const MAX_CANDIDATES = 8;

/** Operations without open starts a session keeps before deleting them together (SessionState.sweep). */
const EMPTY_OPS_SWEEP = 32;

/** The TTS operation a reply may be heard through. */
interface HeardCandidate {
  /** Its span key. */
  readonly key: string;
  startUs: number;
  labels: SampleLabels;
  firstAudioUs: number | undefined;
  playbackUs: number | undefined;
}

/** A user's utterance waiting to be answered (from its RECORDING_END). */
interface PendingReply {
  sessionId: string | null;
  speechEndUs: number | undefined;
  recordingEndUs: number;
  turn: number;
  traceId: string | undefined;
  spanId: string | undefined;
  recordingLabels: SampleLabels;
  sttUs: number | undefined;
  sttLabels: SampleLabels;
  firstTokenUs: number | undefined;
  /** The LLM operation M3 came from: its failure withdraws M3 (the retry's first token counts). */
  firstTokenKey: string;
  llmLabels: SampleLabels;
  /**
   * TTS operations started since (at most MAX_CANDIDATES, in the order they started), until
   * one is heard: an array scanned by span key, not a Map (a Map per reply, i.e. per turn,
   * is an allocation of a table and a hashed insert and lookups; docs/performance.md).
   */
  tts: HeardCandidate[];
}

/** The candidate of span key `key`, or undefined. */
function candidate(list: readonly HeardCandidate[], key: string): HeardCandidate | undefined {
  for (let i = 0; i < list.length; i++) if (list[i]!.key === key) return list[i];
  return undefined;
}

/** Removes the candidate of span key `key`, keeping the others' order. */
function removeCandidate(list: HeardCandidate[], key: string): void {
  let i = 0;
  while (i < list.length && list[i]!.key !== key) i++;
  if (i === list.length) return;
  for (; i + 1 < list.length; i++) list[i] = list[i + 1]!;
  list.length--;
}

/** A user's reply state: per session, or per conversation when the reader assigns one. */
class ReplyState {
  /** The latest RECORDING_END still waiting for its TTS_START. */
  pendingResponse: OpenStart | undefined;
  /** The latest utterance still waiting to be heard (voice_to_voice and its breakdown). */
  reply: PendingReply | undefined;
  /** The last SPEECH_END since the last RECORDING_START (M0 of the next reply). */
  speechEndUs: number | undefined;
  /** The last recording heard no speech: the next RECORDING_START is a retry. */
  noSpeech = false;
  /** A retry is recording: the no-speech utterance it replaces is not incomplete. */
  retrying = false;
}

/**
 * The open starts of one operation (span key), by metric slot. One Map entry per running
 * operation instead of one per open start: an operation's events look it up once each, and
 * the Map gets one insert and one delete per operation (a Map that keeps going from one entry
 * to none rebuilds its table every few deletes: that churn was most of the live path's cost).
 */
interface OpenOp {
  readonly starts: (OpenStart | undefined)[];
  /** Starts held (defined slots). An operation with none stays in the Map until the next sweep (see SessionState.sweep); -1 once swept. */
  count: number;
}

/**
 * The TTS operations seen last (at most MAX_CANDIDATES): a ring of keys scanned with `===`.
 * Same semantics as the Map it replaced (setting a key again moves it to the newest place; a
 * new key beyond the limit makes the oldest go), without its cost: a Map that keeps replacing
 * its oldest entry rebuilds its table every few operations, and so does an array that shifts.
 */
class RecentTts {
  private readonly keys: (string | undefined)[] = new Array<string | undefined>(MAX_CANDIDATES).fill(undefined);
  private readonly values: ({ us: number; labels: SampleLabels } | undefined)[] = new Array<{ us: number; labels: SampleLabels } | undefined>(
    MAX_CANDIDATES,
  ).fill(undefined);
  /** The oldest entry's place, and how many there are. */
  private first = 0;
  private size = 0;

  /** The ring place of `key` (newest first), or -1. */
  private placeOf(key: string): number {
    for (let n = this.size - 1; n >= 0; n--) {
      const i = (this.first + n) % MAX_CANDIDATES;
      if (this.keys[i] === key) return i;
    }
    return -1;
  }

  get(key: string): { us: number; labels: SampleLabels } | undefined {
    const i = this.placeOf(key);
    return i < 0 ? undefined : this.values[i];
  }

  has(key: string): boolean {
    return this.placeOf(key) >= 0;
  }

  set(key: string, value: { us: number; labels: SampleLabels }): void {
    const at = this.placeOf(key);
    if (at >= 0) {
      // Close the gap: the entries after it move one place towards the oldest (rare: a TTS_START again on one span).
      let i = at;
      for (let n = (at - this.first + MAX_CANDIDATES) % MAX_CANDIDATES; n < this.size - 1; n++) {
        const next = (i + 1) % MAX_CANDIDATES;
        this.keys[i] = this.keys[next];
        this.values[i] = this.values[next];
        i = next;
      }
      this.size--;
    } else if (this.size === MAX_CANDIDATES) {
      this.first = (this.first + 1) % MAX_CANDIDATES;
      this.size--;
    }
    const i = (this.first + this.size) % MAX_CANDIDATES;
    this.keys[i] = key;
    this.values[i] = value;
    this.size++;
  }
}

class SessionState {
  /**
   * Open operation starts, by span key: the span id (span mode) or '' (order mode: lines
   * without span ids), then by metric slot.
   */
  readonly open = new Map<string, OpenOp>();
  /** Entries of `open` without starts, deleted together once there are `sweepAt` of them. */
  emptyOps = 0;
  /**
   * 1 until the session's first sweep, EMPTY_OPS_SWEEP after it: the sweep's branch then runs in
   * a run's first session, before V8 optimises `push` (which inlines it). At 32 from the start,
   * `push` was optimised before any session had swept, deoptimised at the first sweep and
   * compiled again (~15-20 ms of compilation per run, and the interpreter meanwhile). When a
   * sweep runs changes nothing but the Map's size.
   */
  private sweepAt = 1;
  /** Slots in the order this session first opened them, and a bit per slot seen; a counter of starts added (OpenStart.seq). */
  readonly slotOrder: number[] = [];
  usedSlots = 0;
  seq = 0;
  /** Reply state of a session without conversation key. */
  readonly replies = new ReplyState();
  /** Turn assigned by rule, for lines that carry none. */
  ruleTurn = 0;
  /** Labels of the latest TTS_START: playback events carry none, their samples take these. */
  ttsLabels: SampleLabels = {};
  /** The latest TTS operations' starts and labels by span key (at most MAX_CANDIDATES): a barge-in or playback takes its own operation's. */
  readonly recentTts = new RecentTts();
  lastUs = Number.NEGATIVE_INFINITY;
  /** Whether the app reports voice activity in this session (any SPEECH_* seen). */
  vad = false;
  /** Speech (SPEECH_START or SPEECH_END) since the last RECORDING_START. */
  spokeInRecording = false;
  /** The last recording was silent by the VAD: counted once, so its STT_NO_SPEECH makes no retry. */
  vadSilent = false;
  /** The latest SPEECH_START and TTS_START (barge_in_stop: the user spoke while the assistant did). */
  speechStartUs = Number.NEGATIVE_INFINITY;
  ttsStartUs = Number.NEGATIVE_INFINITY;
  /** Operations (span keys) that logged an interruption: their remaining pairs are the interrupted variants. */
  interrupted: Set<string> | undefined;

  /** Takes (and clears) the open start of `metric` on the operation `key`, if any. */
  take(op: OpenOp | undefined, key: string, slot: number): OpenStart | undefined {
    if (op === undefined) return undefined;
    const start = op.starts[slot];
    if (start === undefined) return undefined;
    op.starts[slot] = undefined;
    if (--op.count === 0 && ++this.emptyOps >= this.sweepAt) this.sweep();
    return start;
  }

  /**
   * Deletes the operations without open starts. Done in batches: a Map that keeps going from one
   * entry to none (one operation at a time, the live case) allocates a new table on every insert
   * and delete; with a few dozen entries it only rebuilds now and then.
   */
  private sweep(): void {
    if (this.emptyOps === this.open.size) {
      // All of them (the live case: one operation at a time): one clear() instead of a delete each.
      for (const op of this.open.values()) op.count = -1; // gone: an event of this push still holding it makes a new one (opFor)
      this.open.clear();
    } else {
      for (const [key, op] of this.open) {
        if (op.count !== 0) continue;
        op.count = -1;
        this.open.delete(key);
      }
    }
    this.emptyOps = 0;
    this.sweepAt = EMPTY_OPS_SWEEP;
  }

  /** The operation `key`'s entry, ready for a start (an empty one is reused). */
  opFor(op: OpenOp | undefined, key: string): OpenOp {
    if (op !== undefined && op.count === 0) {
      this.emptyOps--;
      return op;
    }
    const created: OpenOp = { starts: NO_STARTS.slice(), count: 0 };
    this.open.set(key, created);
    return created;
  }
}

export interface DerivationTotals {
  /** Starts that never got their end, per metric. */
  incomplete: MetricCounts;
  /** Pairs whose end was earlier than the start (never reported as a value). */
  backwards: MetricCounts;
  /** Events whose timestamp is earlier than the previous event of the same session. */
  timestampsBackwards: number;
  /** Replies still awaited when their conversation ended (normal, not incomplete). */
  unanswered: number;
  /** Re-recordings after STT_NO_SPEECH (normal). */
  retried: number;
  /** Recordings in which the app's VAD reported no speech: no endpointing, no reply expected. */
  noSpeechRecordings: number;
}

export type SampleListener = (sample: MetricSample) => void;

/**
 * A sample handed over as its fields, with no object per sample: for a consumer that keeps
 * samples in columns (the CLI's sample store). `seconds` is `(endUs - startUs) / 1e6`; the
 * rest are MetricSample's fields. A MetricsDeriver takes either this or a SampleListener.
 */
export interface SampleSink {
  sample(
    metric: SeriesName,
    seconds: number,
    startUs: number,
    endUs: number,
    sessionId: string | null,
    turn: number,
    traceId: string | undefined,
    spanId: string | undefined,
    labels: SampleLabels,
  ): void;
}

/** A SampleListener behind the SampleSink interface: one MetricSample object per sample, as before. */
class ObjectSamples implements SampleSink {
  constructor(private readonly listener: SampleListener) {}

  sample(
    metric: SeriesName,
    seconds: number,
    startUs: number,
    endUs: number,
    sessionId: string | null,
    turn: number,
    traceId: string | undefined,
    spanId: string | undefined,
    labels: SampleLabels,
  ): void {
    this.listener({ metric, seconds, sessionId, turn, startUs, endUs, traceId, spanId, labels });
  }
}
export type IncompleteListener = (metric: MetricName, start: { readonly us: number; readonly turn: number; readonly sessionId: string | null }) => void;

/** Shared by every start without labels (most of them): never mutated, one allocation less per event. */
const NO_LABELS: SampleLabels = Object.freeze({});

function labelsOf(data: Record<string, unknown>): SampleLabels {
  const { provider, model, voice, transport } = data;
  if (provider === undefined && model === undefined && voice === undefined && transport === undefined) return NO_LABELS;
  const labels: SampleLabels = {};
  if (typeof provider === 'string') labels.provider = provider;
  if (typeof model === 'string') labels.model = model;
  if (typeof voice === 'string') labels.voice = voice;
  if (typeof transport === 'string') labels.transport = transport;
  return labels;
}

/** Playback events carry no labels of their own: they take the latest TTS_START's (their own win). */
function withTtsLabels(tts: SampleLabels, own: SampleLabels): SampleLabels {
  return own === NO_LABELS ? tts : { ...tts, ...own };
}

/**
 * Incremental, streaming derivation: push events in time order (per session), get each
 * sample through the listener the moment its pair completes. Memory is bounded by the
 * number of open sessions and their open operations, not by the number of events.
 */
export class MetricsDeriver {
  private readonly sessions = new Map<string | null, SessionState>();
  /** Reply state per conversation key (events that carry one); closed by finish(). */
  private readonly conversations = new Map<string, ReplyState>();
  readonly totals: DerivationTotals = { incomplete: zeroCounts(), backwards: zeroCounts(), timestampsBackwards: 0, unanswered: 0, retried: 0, noSpeechRecordings: 0 };

  /** Where samples go (a SampleListener is wrapped: one object per sample). */
  private readonly sink: SampleSink;

  /**
   * `onSample`: a listener given one MetricSample object per sample, or a SampleSink given each
   * sample's fields (no object per sample: a consumer that keeps columns allocates nothing).
   */
  constructor(
    onSample: SampleListener | SampleSink,
    /** Told of each start counted incomplete (the anomalies list them). */
    private readonly onIncomplete?: IncompleteListener,
  ) {
    this.sink = typeof onSample === 'function' ? new ObjectSamples(onSample) : onSample;
  }

  /** Number of sessions with state held (open sessions). */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** Open starts and reply candidates held: what memory follows (running operations, not events). */
  get heldStarts(): number {
    let n = 0;
    for (const st of this.sessions.values()) {
      for (const op of st.open.values()) n += op.count;
      n += st.replies.reply?.tts.length ?? 0;
    }
    for (const rs of this.conversations.values()) n += rs.reply?.tts.length ?? 0;
    return n;
  }

  push(ev: EventRecord): void {
    const type = ev.eventType;
    let st = this.sessions.get(ev.sessionId);
    if (st === undefined) {
      if (type === 'SESSION_END') return;
      st = new SessionState();
      this.sessions.set(ev.sessionId, st);
    }
    if (ev.timestampUs < st.lastUs) this.totals.timestampsBackwards++;
    else st.lastUs = ev.timestampUs;

    const role = ROLES.get(type);
    if (role === undefined) return;

    const conv = ev.conversation;
    let rs = st.replies;
    if (conv !== undefined) {
      rs = this.conversations.get(conv) ?? new ReplyState();
      this.conversations.set(conv, rs);
    }
    if (type === 'RECORDING_START') {
      st.ruleTurn++;
      st.spokeInRecording = false;
      st.vadSilent = false;
      rs.speechEndUs = undefined;
      rs.retrying = rs.noSpeech;
      if (rs.noSpeech) this.totals.retried++;
      rs.noSpeech = false;
    }
    const turn = ev.turn ?? st.ruleTurn;
    const key = ev.spanId || '';

    let op = st.open.get(key);
    for (const slot of role.withdrawSlots) st.take(op, key, slot);
    let labels: SampleLabels | undefined;
    const startSlots = role.startSlots;
    for (let r = 0; r < startSlots.length; r++) {
      const slot = startSlots[r]!;
      const metric = SLOT_METRIC[slot]!;
      if (op === undefined || op.count <= 0) op = st.opFor(op, key);
      const replaced = op.starts[slot];
      if (replaced !== undefined && !LATEST_START_WINS.has(metric)) this.unpaired(metric, replaced); // a newer start replaces it
      if (labels === undefined) {
        labels = labelsOf(ev.data);
        if (type === TTS_START) {
          st.ttsLabels = labels;
          st.recentTts.set(key, { us: ev.timestampUs, labels });
        } else if (type === 'TTS_PLAYBACK_START') labels = withTtsLabels(st.recentTts.get(key)?.labels ?? st.ttsLabels, labels);
      }
      let seq: number;
      if (replaced === undefined) {
        op.count++;
        seq = st.seq++;
        if ((st.usedSlots & (1 << slot)) === 0) {
          st.usedSlots |= 1 << slot;
          st.slotOrder.push(slot);
        }
      } else seq = replaced.seq;
      op.starts[slot] = openStart(ev.timestampUs, turn, ev.sessionId, labels, ev.traceId, ev.spanId, seq);
    }

    let ended: OpenStart | undefined;
    for (const slot of role.endSlots) {
      const start = st.take(op, key, slot);
      const metric = SLOT_METRIC[slot]!;
      if (start !== undefined) {
        ended ??= start; // the operation's main pair (first in the table) gives the reply its labels
        this.emit(st.interrupted?.has(key) ? (INTERRUPTED_AS.get(metric) ?? metric) : metric, start, ev, turn);
      }
    }

    if (type === 'RECORDING_END') {
      if (st.vad && !st.spokeInRecording) {
        // The app's VAD heard no speech in this recording: nothing to answer, nothing to guess.
        this.totals.noSpeechRecordings++;
        st.vadSilent = true;
      } else {
        const pending = openStart(ev.timestampUs, turn, ev.sessionId, NO_LABELS, ev.traceId, ev.spanId, 0);
        // a retry after no speech replaces the silent utterance: that one is not incomplete
        if (rs.pendingResponse && !rs.retrying) this.unpaired('response_time', rs.pendingResponse);
        rs.pendingResponse = pending;
        this.openReply(rs, ev, turn, ended?.labels ?? NO_LABELS);
      }
      rs.retrying = false;
    } else if (type === TTS_START) {
      st.ttsStartUs = ev.timestampUs;
      st.interrupted?.delete(key); // a new TTS operation (lines without span ids share the key '')
      if (rs.pendingResponse) {
        const start = rs.pendingResponse;
        rs.pendingResponse = undefined;
        this.emitFrom('response_time', start.us, start.traceId, start.spanId, labels ?? labelsOf(ev.data), ev, turn);
      }
    } else if (type === 'SPEECH_START') {
      st.vad = true;
      st.spokeInRecording = true;
      st.speechStartUs = ev.timestampUs;
      rs.speechEndUs = undefined; // the user spoke again: an earlier end of speech is not the end
    } else if (type === 'SPEECH_END') {
      st.vad = true;
      st.spokeInRecording = true; // the user was already talking when the recording began
      rs.speechEndUs = ev.timestampUs;
    } else if (type === 'TTS_INTERRUPTED') {
      // barge_in_stop: from the user starting to speak while the assistant did, to the assistant stopping.
      // The operation cut short is the one the event is on (with span ids), else the latest TTS.
      const cut = st.recentTts.get(key);
      const ttsUs = cut?.us ?? st.ttsStartUs;
      if (Number.isFinite(ttsUs) && st.speechStartUs >= ttsUs) {
        this.emitFrom('barge_in_stop', st.speechStartUs, ev.traceId, ev.spanId, cut?.labels ?? st.ttsLabels, ev, turn);
      } else this.unpaired('barge_in_stop', openStart(ev.timestampUs, turn, ev.sessionId, NO_LABELS, undefined, undefined, 0)); // no SPEECH_START during the TTS
    } else if (type === 'STT_NO_SPEECH') {
      if (!st.vadSilent) rs.noSpeech = true; // a VAD-silent recording is counted already, and replaced nothing
    }
    if (rs.reply !== undefined) this.advanceReply(st, rs, rs.reply, ev, key, ended, labels);

    if (role.interrupts) (st.interrupted ??= new Set()).add(key);
    else if (st.interrupted !== undefined && role.ends.length > 0) st.interrupted.delete(key);

    const closes = role.closes;
    if (closes.length > 0) this.closeOnError(st, closes, ev.spanId);

    if (type === 'SESSION_END') this.endSession(ev.sessionId, st);
  }

  /**
   * Closes what one span left open (its starts count as incomplete). For operations outside
   * any session, whose state would otherwise live as long as the process.
   */
  closeSpan(sessionId: string | null, spanId: string, kind?: OperationKind): void {
    const st = this.sessions.get(sessionId);
    if (st === undefined) return;
    const op = st.open.get(spanId);
    if (op !== undefined) {
      // Only the kind's own metrics can be open on its span.
      for (const slot of kind !== undefined ? KIND_SLOTS[kind] : st.slotOrder) this.closeOpen(st, op, slot, spanId);
    }
    st.interrupted?.delete(spanId);
    // A reply candidate stays (its playback may still be marked on the turn or session): they are capped instead.
  }

  /** Ends the input: every start still open counts as incomplete. Returns the totals. */
  finish(): DerivationTotals {
    for (const [id, st] of this.sessions) this.endSession(id, st);
    for (const rs of this.conversations.values()) this.endReplies(rs);
    this.conversations.clear();
    return this.totals;
  }

  /** The reader says a conversation can no longer continue: its awaited reply is unanswered. */
  endConversation(key: string): void {
    const rs = this.conversations.get(key);
    if (rs === undefined) return;
    this.endReplies(rs);
    this.conversations.delete(key);
  }

  private openReply(rs: ReplyState, ev: EventRecord, turn: number, recordingLabels: SampleLabels): void {
    // the user spoke again before hearing a reply (unless it is a retry after no speech)
    if (rs.reply && !rs.retrying) this.unpairedReply(rs.reply);
    rs.reply = {
      sessionId: ev.sessionId,
      speechEndUs: rs.speechEndUs,
      recordingEndUs: ev.timestampUs,
      turn,
      traceId: ev.traceId,
      spanId: ev.spanId,
      recordingLabels,
      sttUs: undefined,
      sttLabels: NO_LABELS,
      firstTokenUs: undefined,
      firstTokenKey: '',
      llmLabels: NO_LABELS,
      tts: [],
    };
    rs.speechEndUs = undefined;
  }

  /** Moves a pending reply along its milestones; completes it when a TTS operation is heard. */
  private advanceReply(
    st: SessionState,
    rs: ReplyState,
    reply: PendingReply,
    ev: EventRecord,
    key: string,
    ended: OpenStart | undefined,
    labels: SampleLabels | undefined,
  ): void {
    const us = ev.timestampUs;
    switch (ev.eventType) {
      case 'STT_COMPLETE':
      case 'STT_NO_SPEECH':
        if (reply.sttUs === undefined) {
          reply.sttUs = us;
          reply.sttLabels = ended?.labels ?? NO_LABELS;
        }
        return;
      case 'LLM_FIRST_TOKEN':
        if (reply.firstTokenUs === undefined) {
          reply.firstTokenUs = us;
          reply.firstTokenKey = key;
          reply.llmLabels = ended?.labels ?? NO_LABELS;
        }
        return;
      case 'LLM_ERROR':
        if (reply.firstTokenUs !== undefined && reply.firstTokenKey === key) reply.firstTokenUs = undefined;
        return;
      case TTS_START:
        // Bounded: the first few TTS operations after the utterance are the ones it is heard through.
        if (reply.tts.length < MAX_CANDIDATES) {
          const heard: HeardCandidate = { key, startUs: us, labels: labels ?? NO_LABELS, firstAudioUs: undefined, playbackUs: undefined };
          let at = 0;
          while (at < reply.tts.length && reply.tts[at]!.key !== key) at++;
          reply.tts[at] = heard; // a TTS_START again on one span replaces its entry in place (as Map.set did)
        }
        return;
      case 'TTS_ERROR':
      case 'TTS_INTERRUPTED': // cut short before it was heard: not the reply the user heard
        removeCandidate(reply.tts, key);
        return;
    }
    // Playback marked on the turn or session span (logEvent) rather than the TTS operation's:
    // it belongs to the latest TTS operation started since the utterance.
    const tts =
      candidate(reply.tts, key) ??
      ((ev.eventType === 'TTS_PLAYBACK_START' || ev.eventType === 'TTS_PLAYBACK_END') && key !== '' && !st.recentTts.has(key) ? reply.tts[reply.tts.length - 1] : undefined);
    if (tts === undefined) return;
    const type = ev.eventType;
    if (type === 'TTS_FIRST_AUDIO') tts.firstAudioUs ??= us;
    else if (type === 'TTS_PLAYBACK_START') tts.playbackUs ??= us;
    else if (type !== 'TTS_PLAYBACK_END') return;
    // Heard: first audio and playback both seen, or a playback that ended without a first-audio mark.
    const playbackUs = tts.playbackUs;
    if (playbackUs === undefined || (tts.firstAudioUs === undefined && type !== 'TTS_PLAYBACK_END')) return;
    rs.reply = undefined;
    this.completeReply(st, reply, tts, Math.max(playbackUs, tts.firstAudioUs ?? playbackUs), ev.sessionId);
  }

  private completeReply(st: SessionState, reply: PendingReply, tts: HeardCandidate, heardUs: number, sessionId: string | null): void {
    if (heardUs < reply.recordingEndUs) {
      this.totals.backwards.voice_to_voice++;
      return;
    }
    // Non-decreasing milestones: a missing or early one takes its predecessor's time.
    const m0 = reply.speechEndUs !== undefined && reply.speechEndUs <= reply.recordingEndUs ? reply.speechEndUs : reply.recordingEndUs;
    const m1 = reply.recordingEndUs;
    const m2 = Math.max(m1, reply.sttUs ?? m1);
    const m3 = Math.max(m2, reply.firstTokenUs ?? m2);
    const m4 = Math.max(m3, tts.startUs);
    const m5 = Math.max(m4, heardUs);
    const ttsLabels = withTtsLabels(st.ttsLabels, tts.labels);
    const sink = this.sink;
    const { turn, traceId, spanId } = reply;
    sink.sample('voice_to_voice', (m5 - m0) / 1e6, m0, m5, sessionId, turn, traceId, spanId, ttsLabels);
    sink.sample('endpointing', (m1 - m0) / 1e6, m0, m1, sessionId, turn, traceId, spanId, reply.recordingLabels);
    sink.sample('stt', (m2 - m1) / 1e6, m1, m2, sessionId, turn, traceId, spanId, reply.sttLabels);
    sink.sample('llm', (m3 - m2) / 1e6, m2, m3, sessionId, turn, traceId, spanId, reply.llmLabels);
    sink.sample('tts_wait', (m4 - m3) / 1e6, m3, m4, sessionId, turn, traceId, spanId, ttsLabels);
    sink.sample('tts_first_audio', (m5 - m4) / 1e6, m4, m5, sessionId, turn, traceId, spanId, ttsLabels);
  }

  private emit(metric: MetricName, start: OpenStart, end: EventRecord, turn: number): void {
    this.emitFrom(metric, start.us, start.traceId, start.spanId, start.labels, end, turn);
  }

  /** A pair's sample from its start's fields (no start object needed for the reply model's pairs). */
  private emitFrom(
    metric: MetricName,
    startUs: number,
    startTraceId: string | undefined,
    startSpanId: string | undefined,
    labels: SampleLabels,
    end: EventRecord,
    turn: number,
  ): void {
    const micros = end.timestampUs - startUs;
    if (micros < 0) {
      this.totals.backwards[metric]++;
      return;
    }
    this.sink.sample(metric, micros / 1e6, startUs, end.timestampUs, end.sessionId, turn, end.traceId ?? startTraceId, startSpanId ?? end.spanId, labels);
  }

  private closeOnError(st: SessionState, metrics: readonly MetricName[], spanId: string | undefined): void {
    const key = spanId || '';
    const op = st.open.get(key);
    if (op === undefined) return;
    for (const metric of metrics) this.closeOpen(st, op, SLOT.get(metric)!, key);
  }

  private closeOpen(st: SessionState, op: OpenOp, slot: number, key: string): void {
    const start = st.take(op, key, slot);
    if (start !== undefined) this.unpaired(SLOT_METRIC[slot]!, start);
  }

  /** A start that will never get its end. */
  private unpaired(metric: MetricName, start: OpenStart): void {
    this.totals.incomplete[metric]++;
    this.onIncomplete?.(metric, start);
  }

  private unpairedReply(reply: PendingReply): void {
    this.totals.incomplete.voice_to_voice++;
    this.onIncomplete?.('voice_to_voice', { us: reply.recordingEndUs, turn: reply.turn, sessionId: reply.sessionId });
  }

  private endSession(id: string | null, st: SessionState): void {
    // Metric by metric in the order the session first used them, each metric's starts in the
    // order they were added (the order of the one Map per metric this replaced).
    // Most sessions end with nothing open: one pass over the operations instead of one per metric.
    let held = 0;
    for (const op of st.open.values()) held += op.count;
    if (held > 0) {
      for (const slot of st.slotOrder) {
        const starts: OpenStart[] = [];
        for (const op of st.open.values()) {
          const start = op.starts[slot];
          if (start !== undefined) starts.push(start);
        }
        starts.sort((a, b) => a.seq - b.seq);
        for (const start of starts) this.unpaired(SLOT_METRIC[slot]!, start);
      }
    }
    this.endReplies(st.replies);
    this.sessions.delete(id);
  }

  /** The conversation ended: a reply still awaited is unanswered; one begun but never heard is incomplete. */
  private endReplies(rs: ReplyState): void {
    if (rs.pendingResponse) this.totals.unanswered++;
    else if (rs.reply) this.unpairedReply(rs.reply);
    rs.pendingResponse = undefined;
    rs.reply = undefined;
  }
}

/** Derives every sample from a finite list of events (sorted by time per session). */
export function deriveMetrics(events: Iterable<EventRecord>): { samples: MetricSample[]; totals: DerivationTotals } {
  const samples: MetricSample[] = [];
  const deriver = new MetricsDeriver((s) => samples.push(s));
  for (const ev of events) deriver.push(ev);
  return { samples, totals: deriver.finish() };
}

/** Running count/sum/min/max of one metric: O(1) memory however long the session. */
export interface MetricStats {
  count: number;
  mean: number;
  min: number;
  max: number;
  total: number;
}

/** Each series' place in SERIES_NAMES: StatsAccumulator keeps its stats in an array by it. */
const SERIES_INDEX = new Map<SeriesName, number>(SERIES_NAMES.map((name, i) => [name, i]));

export class StatsAccumulator {
  /**
   * By series index, plus the series in the order their first sample came (the order the
   * snapshots list them in). An array, not a Map: a turn's accumulator lives for one turn and
   * gets a dozen series, and a dozen Map inserts (with the table growing twice) cost more than
   * the samples themselves.
   */
  private readonly bySeries: (MetricStats | undefined)[] = new Array<MetricStats | undefined>(SERIES_NAMES.length).fill(undefined);
  private readonly order: SeriesName[] = [];

  add(sample: MetricSample): void {
    const i = SERIES_INDEX.get(sample.metric)!;
    const s = this.bySeries[i];
    if (s === undefined) {
      this.bySeries[i] = { count: 1, mean: sample.seconds, min: sample.seconds, max: sample.seconds, total: sample.seconds };
      this.order.push(sample.metric);
      return;
    }
    s.count++;
    s.total += sample.seconds;
    s.mean = s.total / s.count;
    if (sample.seconds < s.min) s.min = sample.seconds;
    if (sample.seconds > s.max) s.max = sample.seconds;
  }

  /** The metrics so far (segments are in `breakdown()`). */
  snapshot(): Partial<Record<MetricName, MetricStats>> {
    const out: Partial<Record<MetricName, MetricStats>> = {};
    for (const k of this.order) if (!isSegment(k)) out[k] = { ...this.bySeries[SERIES_INDEX.get(k)!]! };
    return out;
  }

  /** The reply segments so far (voice_to_voice broken down). */
  breakdown(): Partial<Record<SegmentName, MetricStats>> {
    const out: Partial<Record<SegmentName, MetricStats>> = {};
    for (const k of this.order) if (isSegment(k)) out[k] = { ...this.bySeries[SERIES_INDEX.get(k)!]! };
    return out;
  }
}
