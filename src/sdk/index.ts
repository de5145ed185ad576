/**
 * `voicemode-events/sdk`: the SDK wiring. `startTelemetry()` is a ready tracer provider with
 * the JSONL sink, OTLP and metrics; the sink's parts and the metric instruments are here for
 * apps that bring their own provider. Every export is documented in docs/api.md.
 */
export { startTelemetry, DEFAULT_EVENT_COUNT_LIMIT } from './telemetry.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
export type { ExportOptions, ExportPipeline } from './export-pipeline.js';
export type { OtlpOptions, BatchOptions } from './otlp.js';
export type { MetricsOptions, PrometheusOptions } from './meter-provider.js';
export { installExitHooks } from './exit-hooks.js';
export type { ExitHookActions } from './exit-hooks.js';
export { JsonlEventProcessor } from '../sink/jsonl-processor.js';
export { JsonlSpanExporter } from '../sink/jsonl-exporter.js';
export { JsonlFileWriter } from '../sink/jsonl-file-writer.js';
export type { JsonlFileWriterOptions } from '../sink/jsonl-file-writer.js';
export { installVoiceInstruments, LATENCY_BUCKETS_S } from '../metrics/otel-instruments.js';
