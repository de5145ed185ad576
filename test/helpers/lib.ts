/** Everything the tests use from the library, public or not (tests are not bound by the public API: src/index.ts). */
export { EVENT_TYPES, VOICE_LOOP_EVENT_TYPES, assertEventType, isSpecEventType, isValidEventType } from '../../src/events/catalog.js';
export type { EventType, SpecEventType, VoiceLoopEventType } from '../../src/events/catalog.js';
export type { EventRecord } from '../../src/events/record.js';
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
} from '../../src/events/span-attributes.js';
export { liveEvents } from '../../src/events/live-bus.js';
export { liveSamples } from '../../src/metrics/sample-bus.js';
export { MAX_QUEUED } from '../../src/metrics/deferred-derivation.js';

export { MonotonicClock, ManualClock, systemClock } from '../../src/time/clock.js';
export type { Clock } from '../../src/time/clock.js';
export { formatTimestampUs, parseTimestampUs, usToHrTime, hrTimeToUs } from '../../src/time/format.js';

export { VoiceEvents, createVoiceEvents, TRACER_NAME } from '../../src/instrument/voice-events.js';
export type { VoiceEventsOptions } from '../../src/instrument/voice-events.js';
export { endOpenSessions } from '../../src/instrument/session.js';
export type { Session, SessionMetrics, SessionOptions, Turn, TurnMetrics, OperationHost } from '../../src/instrument/session.js';
export type { Operation, OperationInfo } from '../../src/instrument/operation-base.js';
export type { RecordingInput, RecordingOperation } from '../../src/instrument/handles/recording.js';
export type { SttInput, SttOperation, SttResult } from '../../src/instrument/handles/stt.js';
export type { TtsInput, TtsOperation, TtsStreamOptions } from '../../src/instrument/handles/tts.js';
export type { LlmInput, LlmOperation, LlmResult, LlmUsage } from '../../src/instrument/handles/llm.js';
export type { OperationMethod, OperationMethods } from '../../src/instrument/kinds.js';
export { OPERATION_KINDS } from '../../src/events/operation-kinds.js';
export type { OperationKind, OperationKindDef, OperationMetricDef } from '../../src/events/operation-kinds.js';
export { EventLogger } from '../../src/instrument/event-logger.js';

export { METRIC_NAMES, SEGMENT_NAMES, MetricsDeriver, deriveMetrics, StatsAccumulator } from '../../src/metrics/derive.js';
export { SERIES_NAMES, isSegment, zeroCounts } from '../../src/metrics/derive.js';
export type {
  MetricName,
  SegmentName,
  SeriesName,
  MetricSample,
  MetricStats,
  MetricCounts,
  DerivationTotals,
  SampleLabels,
} from '../../src/metrics/derive.js';

export { resolveConfig, fileNameFor, DEFAULT_LOG_DIR, DEFAULT_FLUSH_INTERVAL_MS } from '../../src/config.js';
export type { EventLogConfig, EventLogOptions, Rotation } from '../../src/config.js';
export { startTelemetry, DEFAULT_EVENT_COUNT_LIMIT } from '../../src/../src/sdk/telemetry.js';
export type { Telemetry, TelemetryOptions } from '../../src/../src/sdk/telemetry.js';
export { installExitHooks } from '../../src/../src/sdk/exit-hooks.js';
export type { ExitHookActions } from '../../src/../src/sdk/exit-hooks.js';
export { JsonlFileWriter } from '../../src/sink/jsonl-file-writer.js';
export type { JsonlFileWriterOptions } from '../../src/sink/jsonl-file-writer.js';
export { JsonlEventProcessor } from '../../src/sink/jsonl-processor.js';
export { JsonlSpanExporter } from '../../src/sink/jsonl-exporter.js';
export { formatLine } from '../../src/sink/line-format.js';
export { startExportPipeline, buildResource, isSdkDisabled } from '../../src/../src/sdk/export-pipeline.js';
export type { ExportOptions, ExportPipeline } from '../../src/../src/sdk/export-pipeline.js';
export { resolveOtlp, redactUrl, OutageMonitor, ObservedSpanExporter, createOtlpSpanProcessor } from '../../src/../src/sdk/otlp.js';
export type { OtlpOptions, BatchOptions, ResolvedOtlp, SignalTarget } from '../../src/../src/sdk/otlp.js';
export { startMeterPipeline, resolvePrometheus, ObservedMetricExporter, METER_NAME } from '../../src/../src/sdk/meter-provider.js';
export type { MetricsOptions, PrometheusOptions, MeterPipeline } from '../../src/../src/sdk/meter-provider.js';
export {
  installVoiceInstruments,
  HISTOGRAMS,
  LATENCY_BUCKETS_S,
  EVENTS_COUNTER,
  ERRORS_COUNTER,
  OPEN_SESSIONS,
} from '../../src/metrics/otel-instruments.js';
