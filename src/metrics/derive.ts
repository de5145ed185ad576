import type { EventRecord } from '../events/record.js';

/**
 * The one derivation of latency metrics from events, used live by the instrumentation (end
 * of turn, end of session, histograms) and offline by the CLI on JSONL files.
 *
 * Pairing rules (GUIDE §2; the spec's sketch paired the *first* event of each type per
 * session, which is how it reported a response time of -34.9 s):
 * - Operation metrics pair a start with its end *within the same operation*: by `span_id`
 *   when the lines carry one, otherwise by order within the session (the newest open start).
 *     ttfa               TTS_START          -> TTS_FIRST_AUDIO
 *     tts_playback       TTS_PLAYBACK_START -> TTS_PLAYBACK_END
 *     recording_duration RECORDING_START    -> RECORDING_END
 *     stt_latency        STT_START          -> STT_COMPLETE | STT_NO_SPEECH
 * - Turn metrics pair a RECORDING_END with the *next* event of a type in the same session:
 *     response_time      RECORDING_END -> next TTS_START
 *     voice_to_voice     RECORDING_END -> next TTS_PLAYBACK_START
 * - Conversations: when the reader assigns `conversation` (voicemode's production logs, one
 *   session per converse call, analysis/conversations.ts), the reply state (the pending
 *   RECORDING_END) is kept per conversation, so the reply pairs with the next call's TTS, and
 *   SESSION_END does not close it. A pending reply at the end of its conversation (SESSION_END
 *   when there is no conversation key, else the input's end) is `unanswered`, not incomplete.
 *   STT_NO_SPEECH withdraws the pending reply (nothing was said); the next RECORDING_START of
 *   the conversation counts as `retried`.
 * - Nothing is guessed: a start with no end (an error in between, a newer start of the same
 *   operation, the session ending, the input ending) counts as incomplete. An end earlier
 *   than its start (clock trouble in a file) is never reported as a negative value: it is
 *   counted as `backwards`. Equal timestamps give 0.
 * - Turns: lines that carry `turn` keep it; otherwise the turn rule is applied by order:
 *   turn 0 holds what the assistant says before the user first speaks, and every
 *   RECORDING_START opens the next turn.
 */

export const METRIC_NAMES = [
  'ttfa',
  'tts_playback',
  'recording_duration',
  'stt_latency',
  'response_time',
  'voice_to_voice',
  'assistant_think',
  'conch_wait',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Low-cardinality labels taken from the start event's data. */
export interface SampleLabels {
  provider?: string;
  model?: string;
  voice?: string;
  transport?: string;
}

export interface MetricSample {
  metric: MetricName;
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
  return { ttfa: 0, tts_playback: 0, recording_duration: 0, stt_latency: 0, response_time: 0, voice_to_voice: 0, assistant_think: 0, conch_wait: 0 };
}

interface OpenStart {
  us: number;
  turn: number;
  sessionId: string | null;
  labels: SampleLabels;
  traceId?: string | undefined;
  spanId?: string | undefined;
}

/**
 * What an event type does to the derivation: the operation metric it starts or ends, the open
 * starts an error closes (incomplete, never paired later). Types not listed (most events) only
 * move the session's clock. One Map lookup per event instead of one per table.
 */
interface Role {
  start?: MetricName;
  end?: MetricName;
  closes?: readonly MetricName[];
}
const ROLES = new Map<string, Role>([
  ['TTS_START', { start: 'ttfa' }],
  ['TTS_FIRST_AUDIO', { end: 'ttfa' }],
  ['TTS_PLAYBACK_START', { start: 'tts_playback' }],
  ['TTS_PLAYBACK_END', { end: 'tts_playback' }],
  ['RECORDING_START', { start: 'recording_duration' }],
  ['RECORDING_END', { end: 'recording_duration' }],
  ['STT_START', { start: 'stt_latency' }],
  ['STT_COMPLETE', { end: 'stt_latency' }],
  ['STT_NO_SPEECH', { end: 'stt_latency' }],
  ['TTS_ERROR', { closes: ['ttfa', 'tts_playback'] }],
  ['STT_ERROR', { closes: ['stt_latency'] }],
  ['RECORDING_ERROR', { closes: ['recording_duration'] }],
  ['SESSION_END', {}],
  // voicemode's conch (one speaker at a time): the wait for it, paired like an operation
  ['CONCH_WAIT_START', { start: 'conch_wait' }],
  ['CONCH_WAIT_END', { end: 'conch_wait' }],
]);

/** What a user's reply waits for: per session, or per conversation when the reader assigns one. */
class ReplyState {
  /** The latest RECORDING_END still waiting for its TTS_START / TTS_PLAYBACK_START. */
  pendingResponse: OpenStart | undefined;
  pendingVoice: OpenStart | undefined;
  /** The last recording heard no speech: the next RECORDING_START is a retry. */
  noSpeech = false;
}

class SessionState {
  /**
   * Open operation starts per metric, keyed by span id (span mode) or '' (order mode: lines
   * without span ids). Two levels, so the hot path looks up the span id string it already
   * holds instead of building a `${metric}|${spanId}` key per event.
   */
  readonly open = new Map<MetricName, Map<string, OpenStart>>();
  /** Reply state of a session without conversation key. */
  readonly reply = new ReplyState();
  /** Turn assigned by rule, for lines that carry none. */
  ruleTurn = 0;
  /** Labels of the latest TTS_START: playback events carry none, their samples take these. */
  ttsLabels: SampleLabels = {};
  lastUs = Number.NEGATIVE_INFINITY;

  openOf(metric: MetricName): Map<string, OpenStart> {
    let m = this.open.get(metric);
    if (m === undefined) {
      m = new Map();
      this.open.set(metric, m);
    }
    return m;
  }
}

export interface DerivationTotals {
  /** Starts that never got their end, per metric. */
  incomplete: MetricCounts;
  /** Pairs whose end was earlier than the start (never reported as a value). */
  backwards: MetricCounts;
  /** Events whose timestamp is earlier than the previous event of the same session. */
  timestampsBackwards: number;
  /** Recordings still waiting for a reply when their conversation ended (normal, not incomplete). */
  unanswered: number;
  /** Re-recordings after STT_NO_SPEECH (normal). */
  retried: number;
}

export type SampleListener = (sample: MetricSample) => void;
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
  readonly totals: DerivationTotals = { incomplete: zeroCounts(), backwards: zeroCounts(), timestampsBackwards: 0, unanswered: 0, retried: 0 };

  constructor(
    private readonly onSample: SampleListener,
    /** Told of each start counted incomplete (the anomalies list them). */
    private readonly onIncomplete?: IncompleteListener,
  ) {}

  /** Number of sessions with state held (open sessions). */
  get openSessions(): number {
    return this.sessions.size;
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
    let rs = st.reply;
    if (conv !== undefined) {
      rs = this.conversations.get(conv) ?? new ReplyState();
      this.conversations.set(conv, rs);
    }
    if (type === 'RECORDING_START') {
      st.ruleTurn++;
      if (rs.noSpeech) this.totals.retried++;
      rs.noSpeech = false;
    }
    const turn = ev.turn ?? st.ruleTurn;

    const key = ev.spanId || '';
    const startMetric = role.start;
    if (startMetric !== undefined) {
      const open = st.openOf(startMetric);
      const replaced = open.get(key);
      if (replaced !== undefined) this.unpaired(startMetric, replaced); // a newer start replaces it
      let labels = labelsOf(ev.data);
      if (type === 'TTS_START') st.ttsLabels = labels;
      else if (type === 'TTS_PLAYBACK_START') labels = withTtsLabels(st.ttsLabels, labels);
      open.set(key, { us: ev.timestampUs, turn, sessionId: ev.sessionId, labels, traceId: ev.traceId, spanId: ev.spanId });
    }

    const endMetric = role.end;
    if (endMetric !== undefined) {
      const open = st.open.get(endMetric);
      const start = open?.get(key);
      if (start !== undefined) {
        open!.delete(key);
        this.emit(endMetric, start, ev, turn);
      }
    }

    if (type === 'RECORDING_END') {
      const pending: OpenStart = { us: ev.timestampUs, turn, sessionId: ev.sessionId, labels: {}, traceId: ev.traceId, spanId: ev.spanId };
      if (rs.pendingResponse) this.unpaired('response_time', rs.pendingResponse);
      if (rs.pendingVoice) this.unpaired('voice_to_voice', rs.pendingVoice);
      rs.pendingResponse = pending;
      rs.pendingVoice = pending;
    } else if (type === 'STT_NO_SPEECH') {
      rs.pendingResponse = undefined;
      rs.pendingVoice = undefined;
      rs.noSpeech = true;
    } else if (type === 'TTS_START' && rs.pendingResponse) {
      const start = rs.pendingResponse;
      rs.pendingResponse = undefined;
      this.emit('response_time', { ...start, labels: labelsOf(ev.data) }, ev, turn);
    } else if (type === 'TTS_PLAYBACK_START' && rs.pendingVoice) {
      const start = rs.pendingVoice;
      rs.pendingVoice = undefined;
      this.emit('voice_to_voice', { ...start, labels: withTtsLabels(st.ttsLabels, labelsOf(ev.data)) }, ev, turn);
    }

    const closes = role.closes;
    if (closes !== undefined) this.closeOnError(st, closes, ev.spanId);

    if (type === 'SESSION_END') this.endSession(ev.sessionId, st);
  }

  /**
   * Closes what one span left open (its starts count as incomplete). For operations outside
   * any session, whose state would otherwise live as long as the process.
   */
  closeSpan(sessionId: string | null, spanId: string): void {
    const st = this.sessions.get(sessionId);
    if (st === undefined) return;
    for (const [metric, open] of st.open) this.closeOpen(open, metric, spanId);
  }

  /** Ends the input: every start still open counts as incomplete. Returns the totals. */
  finish(): DerivationTotals {
    for (const [id, st] of this.sessions) this.endSession(id, st);
    for (const rs of this.conversations.values()) this.endReplies(rs);
    this.conversations.clear();
    return this.totals;
  }

  private emit(metric: MetricName, start: OpenStart, end: EventRecord, turn: number): void {
    const micros = end.timestampUs - start.us;
    if (micros < 0) {
      this.totals.backwards[metric]++;
      return;
    }
    this.onSample({
      metric,
      seconds: micros / 1e6,
      sessionId: end.sessionId,
      turn,
      startUs: start.us,
      endUs: end.timestampUs,
      traceId: end.traceId ?? start.traceId,
      spanId: start.spanId ?? end.spanId,
      labels: start.labels,
    });
  }

  private closeOnError(st: SessionState, metrics: readonly MetricName[], spanId: string | undefined): void {
    for (const metric of metrics) {
      const open = st.open.get(metric);
      if (open !== undefined) this.closeOpen(open, metric, spanId || '');
    }
  }

  private closeOpen(open: Map<string, OpenStart>, metric: MetricName, key: string): void {
    const start = open.get(key);
    if (start === undefined) return;
    open.delete(key);
    this.unpaired(metric, start);
  }

  /** A start that will never get its end. */
  private unpaired(metric: MetricName, start: OpenStart): void {
    this.totals.incomplete[metric]++;
    this.onIncomplete?.(metric, start);
  }

  private endSession(id: string | null, st: SessionState): void {
    for (const [metric, open] of st.open) for (const start of open.values()) this.unpaired(metric, start);
    this.endReplies(st.reply);
    this.sessions.delete(id);
  }

  /** The conversation ended: a reply still awaited is unanswered; a reply begun but never heard is incomplete. */
  private endReplies(rs: ReplyState): void {
    if (rs.pendingResponse) this.totals.unanswered++;
    else if (rs.pendingVoice) this.unpaired('voice_to_voice', rs.pendingVoice);
    rs.pendingResponse = undefined;
    rs.pendingVoice = undefined;
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

export class StatsAccumulator {
  private readonly stats = new Map<MetricName, MetricStats>();

  add(sample: MetricSample): void {
    const s = this.stats.get(sample.metric);
    if (s === undefined) {
      this.stats.set(sample.metric, { count: 1, mean: sample.seconds, min: sample.seconds, max: sample.seconds, total: sample.seconds });
      return;
    }
    s.count++;
    s.total += sample.seconds;
    s.mean = s.total / s.count;
    if (sample.seconds < s.min) s.min = sample.seconds;
    if (sample.seconds > s.max) s.max = sample.seconds;
  }

  snapshot(): Partial<Record<MetricName, MetricStats>> {
    const out: Partial<Record<MetricName, MetricStats>> = {};
    for (const [k, v] of this.stats) out[k] = { ...v };
    return out;
  }
}
