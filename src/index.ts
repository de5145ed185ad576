/**
 * voicemode-events: the instrumentation API. It needs only `@opentelemetry/api` and works
 * with any registered tracer provider. The SDK side (a ready provider, the JSONL span
 * processor and exporter) is in `voicemode-events/sdk`; the metrics derivation is
 * `voicemode-events/metrics`. Every export is documented in docs/api.md; a test lists them
 * (test/package-exports.test.ts), so adding one is a decision.
 */
export { VoiceEvents, createVoiceEvents, TRACER_NAME } from './instrument/voice-events.js';
export type { VoiceEventsOptions } from './instrument/voice-events.js';
export type { Session, SessionMetrics, SessionOptions, Turn, TurnMetrics } from './instrument/session.js';
export type { Operation, OperationInfo } from './instrument/operation-base.js';
export type { RecordingInput, RecordingOperation } from './instrument/handles/recording.js';
export type { SttInput, SttOperation, SttResult } from './instrument/handles/stt.js';
export type { TtsInput, TtsOperation, TtsStreamOptions } from './instrument/handles/tts.js';
export type { LlmInput, LlmOperation, LlmResult, LlmUsage } from './instrument/handles/llm.js';
export type { OperationKind } from './events/operation-kinds.js';

export { EventLogger } from './instrument/event-logger.js';
export type { EventLoggerOptions } from './instrument/event-logger.js';

export { EVENT_TYPES, VOICE_LOOP_EVENT_TYPES, isValidEventType } from './events/catalog.js';
export type { EventType, SpecEventType, VoiceLoopEventType } from './events/catalog.js';
export type { EventRecord } from './events/record.js';
export { ALLOWED_PARENTS } from './events/span-attributes.js';

export { ManualClock, MonotonicClock } from './time/clock.js';
export type { Clock } from './time/clock.js';

export type { EventLogOptions, Rotation, Warn } from './config.js';
export type { RedactMode } from './events/sanitize.js';
