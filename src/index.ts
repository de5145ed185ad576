/**
 * voicemode-events: the instrumentation API. It needs only `@opentelemetry/api` and works
 * with any registered tracer provider. The SDK side (a ready provider, the JSONL span
 * processor and exporter) is in `voicemode-events/sdk`; the pure metrics derivation is
 * also available alone as `voicemode-events/metrics`.
 */
export { EVENT_TYPES, VOICE_LOOP_EVENT_TYPES, assertEventType, isSpecEventType, isValidEventType } from './events/catalog.js';
export type { EventType, SpecEventType, VoiceLoopEventType } from './events/catalog.js';
export type { EventRecord } from './events/record.js';
export {
  ALLOWED_PARENTS,
  ATTR_SESSION_ID,
  ATTR_TURN_NUMBER,
  SPAN_EVENT,
  SPAN_LLM,
  SPAN_RECORDING,
  SPAN_SESSION,
  SPAN_STT,
  SPAN_TTS,
  SPAN_TURN,
} from './events/span-attributes.js';
export { liveEvents } from './events/live-bus.js';
export { liveSamples } from './metrics/sample-bus.js';

export { MonotonicClock, ManualClock, systemClock } from './time/clock.js';
export type { Clock } from './time/clock.js';
export { formatTimestampUs, parseTimestampUs, usToHrTime, hrTimeToUs } from './time/format.js';

export { VoiceEvents, createVoiceEvents, TRACER_NAME } from './instrument/voice-events.js';
export type { VoiceEventsOptions } from './instrument/voice-events.js';
export { endOpenSessions } from './instrument/session.js';
export type { Session, SessionMetrics, SessionOptions, Turn, TurnMetrics, OperationHost } from './instrument/session.js';
export type { Operation, OperationInfo } from './instrument/operation-base.js';
export type { RecordingInput, RecordingOperation } from './instrument/handles/recording.js';
export type { SttInput, SttOperation, SttResult } from './instrument/handles/stt.js';
export type { TtsInput, TtsOperation, TtsStreamOptions } from './instrument/handles/tts.js';
export type { LlmInput, LlmOperation, LlmResult, LlmUsage } from './instrument/handles/llm.js';
export type { OperationMethod, OperationMethods } from './instrument/kinds.js';
export { OPERATION_KINDS } from './events/operation-kinds.js';
export type { OperationKind, OperationKindDef, OperationMetricDef } from './events/operation-kinds.js';
export { EventLogger } from './instrument/event-logger.js';

export { METRIC_NAMES, SEGMENT_NAMES, MetricsDeriver, deriveMetrics, StatsAccumulator } from './metrics/derive.js';
export type {
  MetricName,
  SegmentName,
  SeriesName,
  MetricSample,
  MetricStats,
  MetricCounts,
  DerivationTotals,
  SampleLabels,
} from './metrics/derive.js';

export { resolveConfig, fileNameFor, DEFAULT_LOG_DIR, DEFAULT_FLUSH_INTERVAL_MS } from './config.js';
export type { EventLogConfig, EventLogOptions, Rotation } from './config.js';
