/**
 * What each kind of voice operation *is*, as data: its span, its events, the metrics its
 * events start and end, its GenAI operation name and how it places itself in a turn. One
 * entry per kind; everything else reads this table: the instrumentation (instrument/kinds.ts
 * adds the handle), the metrics derivation (metrics/derive.ts), the OTel instruments, the
 * span rebuild of `replay` and the allowed span tree.
 *
 * Only data here (no @opentelemetry/api): the CLI and the reader use it too.
 */
export interface OperationMetricDef {
  /** The metric's name in samples, summaries and `SessionMetrics` (seconds). */
  readonly name: string;
  readonly start: string;
  /** Any of these ends it (the first one after the start of the same operation). */
  readonly end: readonly string[];
  /** The OTel histogram it is recorded on (unit s). */
  readonly histogram: string;
  readonly description: string;
  /**
   * When the operation logged the `by` event before this metric's end (a barge-in cut it short),
   * the sample is recorded under this name instead, so cut-short values do not drag the complete
   * ones down. (An event type, not a data flag: the CLI's fast reader keeps types, not all data.)
   */
  readonly interruptedAs?: { readonly by: string; readonly name: string; readonly histogram: string; readonly description: string };
  /** A newer start replaces an open one silently (the last SPEECH_END of a recording counts), instead of counting it incomplete. */
  readonly latestStartWins?: boolean;
  /** Events that withdraw an open start silently (the user spoke again after a SPEECH_END). */
  readonly withdrawnBy?: readonly string[];
}

export interface OperationKindDef {
  /** The span every operation of this kind gets (a child of its turn, or a root when standalone). */
  readonly span: string;
  /** Event type prefix (`TTS_...`): how a line without a span id is grouped into an operation by `replay`. */
  readonly prefix: string;
  /** Logged on failure; it also closes the kind's open metric starts (counted incomplete). */
  readonly errorEvent: string;
  /** `gen_ai.operation.name` (OpenTelemetry GenAI conventions), when the operation is a model call. */
  readonly genAiOperation: string | undefined;
  /** Turn rule: a recording opens the next turn (the user speaks); everything else joins the current one. */
  readonly turn: 'opens' | 'joins';
  readonly metrics: readonly OperationMetricDef[];
}

export const OPERATION_KINDS = {
  tts: {
    span: 'voice.tts',
    prefix: 'TTS',
    errorEvent: 'TTS_ERROR',
    genAiOperation: 'text_to_speech',
    turn: 'joins',
    metrics: [
      {
        name: 'ttfa',
        start: 'TTS_START',
        end: ['TTS_FIRST_AUDIO'],
        histogram: 'voice.tts.time_to_first_audio',
        description: 'TTS_START to TTS_FIRST_AUDIO of the same TTS operation',
        withdrawnBy: ['TTS_INTERRUPTED'], // cut before any audio: no TTFA to wait for, not an anomaly
      },
      {
        name: 'tts_playback',
        start: 'TTS_PLAYBACK_START',
        end: ['TTS_PLAYBACK_END'],
        histogram: 'voice.tts.playback.duration',
        description: 'TTS_PLAYBACK_START to TTS_PLAYBACK_END of a playback that was not interrupted',
        interruptedAs: {
          by: 'TTS_INTERRUPTED',
          name: 'tts_playback_interrupted',
          histogram: 'voice.tts.playback.interrupted_duration',
          description: 'TTS_PLAYBACK_START to TTS_PLAYBACK_END of a playback cut short by a barge-in',
        },
      },
    ],
  },
  recording: {
    span: 'voice.recording',
    prefix: 'RECORDING',
    errorEvent: 'RECORDING_ERROR',
    genAiOperation: undefined,
    turn: 'opens',
    metrics: [
      {
        name: 'recording_duration',
        start: 'RECORDING_START',
        end: ['RECORDING_END'],
        histogram: 'voice.recording.duration',
        description: 'RECORDING_START to RECORDING_END',
      },
      {
        name: 'endpointing_delay',
        start: 'SPEECH_END',
        end: ['RECORDING_END'],
        histogram: 'voice.recording.endpointing',
        description: "SPEECH_END (the app's VAD) to RECORDING_END: the silence waited before the recording stopped",
        latestStartWins: true,
        withdrawnBy: ['SPEECH_START'],
      },
    ],
  },
  stt: {
    span: 'voice.stt',
    prefix: 'STT',
    errorEvent: 'STT_ERROR',
    genAiOperation: 'speech_to_text',
    turn: 'joins',
    metrics: [
      {
        name: 'stt_latency',
        start: 'STT_START',
        end: ['STT_COMPLETE', 'STT_NO_SPEECH'],
        histogram: 'voice.stt.duration',
        description: 'STT_START to STT_COMPLETE or STT_NO_SPEECH',
      },
    ],
  },
  llm: {
    span: 'voice.llm',
    prefix: 'LLM',
    errorEvent: 'LLM_ERROR',
    genAiOperation: 'chat',
    turn: 'joins',
    metrics: [
      {
        name: 'llm_ttft',
        start: 'LLM_START',
        end: ['LLM_FIRST_TOKEN'],
        histogram: 'voice.llm.time_to_first_token',
        description: 'LLM_START to LLM_FIRST_TOKEN of the same LLM operation',
      },
      {
        name: 'llm_duration',
        start: 'LLM_START',
        end: ['LLM_COMPLETE'],
        histogram: 'voice.llm.duration',
        description: 'LLM_START to LLM_COMPLETE of the same LLM operation',
      },
    ],
  },
} as const satisfies Record<string, OperationKindDef>;

export type OperationKind = keyof typeof OPERATION_KINDS;
export const OPERATION_KIND_NAMES = Object.keys(OPERATION_KINDS) as OperationKind[];

type MetricDefs = (typeof OPERATION_KINDS)[OperationKind]['metrics'][number];
/** The metrics operations produce, in table order (ttfa, tts_playback, ...), with their interrupted variants. */
export type OperationMetricName =
  | MetricDefs['name']
  | (MetricDefs extends infer D ? (D extends { interruptedAs: { name: infer N } } ? N : never) : never);

/** Every kind's definition, for loops that do not care which kind. */
export function operationKinds(): readonly (readonly [OperationKind, OperationKindDef])[] {
  return OPERATION_KIND_NAMES.map((k) => [k, OPERATION_KINDS[k]] as const);
}

/** The kind whose events carry this type's prefix (`TTS_START` -> tts), if any. */
export function kindOfEventType(eventType: string): OperationKind | undefined {
  const prefix = eventType.slice(0, eventType.indexOf('_'));
  return KIND_BY_PREFIX.get(prefix);
}
const KIND_BY_PREFIX = new Map<string, OperationKind>(operationKinds().map(([k, def]) => [def.prefix, k]));

/** The kind whose error event this is (`LLM_ERROR` -> llm), if any. */
export function kindOfErrorEvent(eventType: string): OperationKind | undefined {
  return KIND_BY_ERROR.get(eventType);
}
const KIND_BY_ERROR = new Map<string, OperationKind>(operationKinds().map(([k, def]) => [def.errorEvent, k]));
