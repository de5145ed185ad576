import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { onceEach, type Warn } from '../warn.js';
import { liveEvents } from '../events/live-bus.js';
import { liveOperations, type OperationEnd } from '../events/operation-bus.js';
import { OPERATION_KINDS, kindOfErrorEvent, operationKinds, type OperationMetricDef } from '../events/operation-kinds.js';
import type { EventRecord } from '../events/record.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_MODEL,
  ATTR_GEN_AI_OPERATION,
  ATTR_GEN_AI_PROVIDER,
} from '../events/span-attributes.js';
import { isSegment, METRIC_NAMES, type MetricName, type MetricSample } from './derive.js';
import { liveSamples } from './sample-bus.js';
import { derivingFrom, drainDerivations } from './deferred-derivation.js';

/**
 * OpenTelemetry instruments fed by the live buses: the histograms record the samples that
 * metrics/derive.ts produces (nothing is recomputed here: one source of truth for the live
 * numbers, the JSONL analysis and these histograms), the counters count events.
 * Only @opentelemetry/api: works with any MeterProvider (`installVoiceInstruments(metrics.getMeter('x'))`).
 *
 * Attributes are low-cardinality only: provider, model, voice, transport, outcome (STT),
 * event_type, stage, error_type. Never a session id, a trace id or text.
 */

/** OTel name of each derived metric (unit `s`): the operation metrics from the kind table, then the reply metrics. */
export const HISTOGRAMS: Readonly<Record<MetricName, { name: string; description: string }>> = histogramTable();

function histogramTable(): Record<MetricName, { name: string; description: string }> {
  const byName = new Map<string, { name: string; description: string }>([
    ['response_time', { name: 'voice.turn.response_time', description: 'RECORDING_END to the next TTS_START in the session' }],
    [
      'voice_to_voice',
      { name: 'voice.turn.voice_to_voice', description: "The user's end of speech (SPEECH_END, else RECORDING_END) to the moment the reply is heard" },
    ],
    [
      'barge_in_stop',
      { name: 'voice.turn.barge_in_stop', description: "The user's SPEECH_START during the assistant's TTS to TTS_INTERRUPTED" },
    ],
    ['assistant_think', { name: 'voice.assistant.think', description: 'TOOL_REQUEST_END to the next TOOL_REQUEST_START in the conversation' }],
    ['conch_wait', { name: 'voice.conch.wait', description: 'CONCH_WAIT_START to CONCH_WAIT_END' }],
  ]);
  for (const [, def] of operationKinds()) {
    for (const m of def.metrics as readonly OperationMetricDef[]) {
      byName.set(m.name, { name: m.histogram, description: m.description });
      if (m.interruptedAs) byName.set(m.interruptedAs.name, { name: m.interruptedAs.histogram, description: m.interruptedAs.description });
    }
  }
  const table = {} as Record<MetricName, { name: string; description: string }>;
  for (const metric of METRIC_NAMES) {
    const def = byName.get(metric);
    if (def === undefined) throw new Error(`no histogram for metric ${metric}`); // a kind table edit missed here: fails every test at load
    table[metric] = def;
  }
  return table;
}

/** The parts of voice_to_voice, one histogram with attribute `segment` (endpointing, stt, llm, tts_wait, tts_first_audio). */
export const SEGMENT_HISTOGRAM = 'voice.turn.segment';
/** OpenTelemetry GenAI client metrics (semantic-conventions-genai). */
export const GEN_AI_DURATION = 'gen_ai.client.operation.duration';
/** Usage counters (attributes provider and model only), and barge-ins per provider. */
export const USAGE_COUNTERS = {
  ttsCharacters: 'voice.tts.characters',
  ttsAudio: 'voice.tts.audio_duration',
  sttAudio: 'voice.stt.audio_duration',
  interruptions: 'voice.tts.interruptions',
} as const;
export const GEN_AI_TOKEN_USAGE = 'gen_ai.client.token.usage';
/** The GenAI conventions' advised boundaries for gen_ai.client.operation.duration (s). */
const GEN_AI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** The semconv's advised boundaries for token counts. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export const EVENTS_COUNTER = 'voice.events';
export const ERRORS_COUNTER = 'voice.errors';
export const OPEN_SESSIONS = 'voice.sessions.open';

/**
 * Bucket boundaries in seconds for voice latency: fine steps where TTFA and response time
 * live (25 ms .. 2 s), coarser up to a minute (long recordings and playbacks).
 */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 60,
];


const MAX_LABEL_LENGTH = 64;
/** Custom event types are open-ended; past this many, further ones are counted as OTHER (bounded cardinality). */
const MAX_EVENT_TYPES = 500;

function label(v: unknown, fallback: string): string {
  return typeof v === 'string' && v !== '' ? v.slice(0, MAX_LABEL_LENGTH) : fallback;
}

/**
 * Creates the instruments on `meter` and subscribes them to the live buses. Returns the
 * function that unsubscribes (the instruments stay, unfed).
 */
export function installVoiceInstruments(meter: Meter, warn?: Warn): () => void {
  const warnOnce = onceEach(warn);
  const histograms = {} as Record<MetricName, Histogram>;
  const latency = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_S] } });
  for (const [metric, def] of Object.entries(HISTOGRAMS) as [MetricName, { name: string; description: string }][]) {
    histograms[metric] = latency(def.name, def.description);
  }
  const segments = latency(SEGMENT_HISTOGRAM, 'voice_to_voice broken down: endpointing, stt, llm, tts_wait, tts_first_audio (attribute segment)');
  const genAiDuration = meter.createHistogram(GEN_AI_DURATION, {
    unit: 's',
    description: 'GenAI operation duration (the wrapped call), by gen_ai.operation.name',
    advice: { explicitBucketBoundaries: GEN_AI_DURATION_BUCKETS },
  });
  const ttsCharacters = meter.createCounter(USAGE_COUNTERS.ttsCharacters, { unit: '{character}', description: 'Characters sent to TTS' });
  const ttsAudio = meter.createCounter(USAGE_COUNTERS.ttsAudio, { unit: 's', description: 'Seconds of audio TTS made (op.audio)' });
  const sttAudio = meter.createCounter(USAGE_COUNTERS.sttAudio, { unit: 's', description: 'Seconds of audio sent to STT' });
  const interruptions = meter.createCounter(USAGE_COUNTERS.interruptions, { unit: '{interruption}', description: 'TTS operations cut short by a barge-in' });
  const tokenUsage = meter.createHistogram(GEN_AI_TOKEN_USAGE, {
    unit: '{token}',
    description: 'Input and output tokens per LLM call (gen_ai.token.type)',
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  // Counted per event type and reported at collection time: Counter.add hashes its attributes
  // on every call (~0.5 µs, half the cost of logging an event; docs/performance.md). One Map
  // lookup per event finds the type's count and, for error events, its stage.
  const byType = new Map<string, { count: number; stage: string | undefined }>();
  let drainBeforeCollect: () => void = () => undefined;
  meter
    .createObservableCounter(EVENTS_COUNTER, { unit: '{event}', description: 'Events logged, by event_type' })
    .addCallback((result) => {
      drainBeforeCollect();
      for (const [eventType, { count }] of byType) result.observe(count, { event_type: eventType });
    });
  const errors = meter.createCounter(ERRORS_COUNTER, {
    unit: '{error}',
    description: 'TTS_ERROR / STT_ERROR / RECORDING_ERROR events, by stage and error_type',
  });
  const open = meter.createUpDownCounter(OPEN_SESSIONS, { unit: '{session}', description: 'Sessions started and not yet ended' });

  /** Sessions counted as open by us (an END for a session started before we listened is ignored). */
  const openIds = new Set<string>();
  /** The record just published: the sample of a pair completes synchronously right after its end event. */
  let last: EventRecord | undefined;

  const offEvents = liveEvents.add((_span, record) => {
    last = record;
    let entry = byType.get(record.eventType);
    if (entry === undefined) {
      if (byType.size < MAX_EVENT_TYPES) {
        entry = { count: 0, stage: kindOfErrorEvent(record.eventType) };
        byType.set(record.eventType, entry);
      } else {
        // Counted as OTHER; an error event still counts as an error of its stage.
        entry = byType.get('OTHER') ?? { count: 0, stage: undefined };
        byType.set('OTHER', entry);
        const stage = kindOfErrorEvent(record.eventType);
        if (stage) errors.add(1, { stage, error_type: label(record.data.error_type, 'unknown') });
      }
    }
    entry.count++;
    if (entry.stage !== undefined) errors.add(1, { stage: entry.stage, error_type: label(record.data.error_type, 'unknown') });
    if (record.sessionId !== null) {
      if (record.eventType === 'SESSION_START' && !openIds.has(record.sessionId)) {
        openIds.add(record.sessionId);
        open.add(1);
      } else if (record.eventType === 'SESSION_END' && openIds.delete(record.sessionId)) {
        open.add(-1);
      }
    }
  });

  // Histogram.record hashes its attributes too (~1 µs a sample). Samples are queued on the
  // caller's path (a push) and recorded on the next turn of the event loop, or at collection
  // time at the latest (observable callbacks run before the SDK collects): exports never miss
  // a sample, and the voice call does not pay for the histogram.
  // Two parallel arrays rather than a { sample, noSpeech } object per sample (a turn has ~13 samples).
  const queuedSamples: MetricSample[] = [];
  const queuedNoSpeech: boolean[] = [];
  const finishedOps: OperationEnd[] = [];
  let scheduled = false;
  const schedule = (): void => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain).unref();
    }
  };
  // Runs outside any listener's guard (setImmediate): a fault here must not reach the app.
  const drain = (): void => {
    try {
      record();
    } catch (err) {
      warnOnce(`internal error recording metrics (the app continues): ${(err as Error)?.stack ?? String(err)}`);
    }
  };
  const record = (): void => {
    scheduled = false;
    for (const op of finishedOps.splice(0)) recordOperation(op);
    const samples = queuedSamples.splice(0);
    const noSpeechFlags = queuedNoSpeech.splice(0);
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      const noSpeech = noSpeechFlags[i]!;
      const attrs: Attributes = {};
      const l = sample.labels;
      if (l.provider) attrs.provider = label(l.provider, '');
      if (l.model) attrs.model = label(l.model, '');
      if (l.voice) attrs.voice = label(l.voice, '');
      if (l.transport) attrs.transport = label(l.transport, '');
      if (sample.metric === 'stt_latency') attrs.outcome = noSpeech ? 'no_speech' : 'transcribed';
      if (isSegment(sample.metric)) {
        attrs.segment = sample.metric;
        segments.record(sample.seconds, attrs);
      } else histograms[sample.metric].record(sample.seconds, attrs);
    }
  };
  drainBeforeCollect = () => {
    drainDerivations(); // the sessions' queued events first: their samples join this collection
    drain();
  };

  const offSamples = liveSamples.add((sample: MetricSample) => {
    // The end event of the pair was published just before its sample (emitEvent's order).
    // (A session derives off the caller's path: then the end event is the one deriving now.)
    const end = derivingFrom.record ?? last;
    const noSpeech = sample.metric === 'stt_latency' && end?.timestampUs === sample.endUs && end.eventType === 'STT_NO_SPEECH';
    queuedSamples.push(sample);
    queuedNoSpeech.push(noSpeech);
    schedule();
  });

  // The same for finished operations: the GenAI client metrics are recorded off the caller's path.
  const offOperations = liveOperations.add((op: OperationEnd) => {
    finishedOps.push(op);
    schedule();
  });
  const recordOperation = (op: OperationEnd): void => {
    recordUsage(op);
    const name = OPERATION_KINDS[op.kind].genAiOperation;
    if (name === undefined) return; // a recording is no model call
    const attrs: Attributes = { [ATTR_GEN_AI_OPERATION]: name };
    if (op.provider) attrs[ATTR_GEN_AI_PROVIDER] = label(op.provider, '');
    if (op.model) attrs[ATTR_GEN_AI_MODEL] = label(op.model, '');
    if (op.inputTokens !== undefined || op.outputTokens !== undefined) recordTokens(op, attrs);
    if (op.errorType) attrs[ATTR_ERROR_TYPE] = label(op.errorType, '');
    genAiDuration.record(op.seconds, attrs);
  };
  const recordUsage = (op: OperationEnd): void => {
    if (op.characters === undefined && op.audioS === undefined && !op.interrupted) return;
    const attrs: Attributes = {};
    if (op.provider) attrs.provider = label(op.provider, '');
    if (op.model) attrs.model = label(op.model, '');
    if (op.characters !== undefined) ttsCharacters.add(op.characters, attrs);
    if (op.audioS !== undefined) (op.kind === 'stt' ? sttAudio : ttsAudio).add(op.audioS, attrs);
    if (op.interrupted) interruptions.add(1, attrs);
  };
  const recordTokens = (op: OperationEnd, attrs: Attributes): void => {
    if (op.inputTokens !== undefined) tokenUsage.record(op.inputTokens, { ...attrs, 'gen_ai.token.type': 'input' });
    if (op.outputTokens !== undefined) tokenUsage.record(op.outputTokens, { ...attrs, 'gen_ai.token.type': 'output' });
  };

  return () => {
    offEvents();
    offSamples();
    offOperations();
  };
}
