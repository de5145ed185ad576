/**
 * SDK wiring: a ready TracerProvider with the JSONL sink, and the sink's parts for apps
 * that bring their own provider. The instrumentation API lives in the main entry.
 */
export { startTelemetry, DEFAULT_EVENT_COUNT_LIMIT } from './telemetry.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
export { installExitHooks } from './exit-hooks.js';
export type { ExitHookActions } from './exit-hooks.js';
export { JsonlFileWriter } from '../sink/jsonl-file-writer.js';
export type { JsonlFileWriterOptions } from '../sink/jsonl-file-writer.js';
export { JsonlEventProcessor } from '../sink/jsonl-processor.js';
export { JsonlSpanExporter } from '../sink/jsonl-exporter.js';
export { formatLine } from '../sink/line-format.js';
export { startExportPipeline, buildResource, isSdkDisabled } from './export-pipeline.js';
export type { ExportOptions, ExportPipeline } from './export-pipeline.js';
export { resolveOtlp, redactUrl, OutageMonitor, ObservedSpanExporter, createOtlpSpanProcessor } from './otlp.js';
export type { OtlpOptions, BatchOptions, ResolvedOtlp, SignalTarget } from './otlp.js';
export { startMeterPipeline, resolvePrometheus, ObservedMetricExporter, METER_NAME } from './meter-provider.js';
export type { MetricsOptions, PrometheusOptions, MeterPipeline } from './meter-provider.js';
export {
  installVoiceInstruments,
  HISTOGRAMS,
  LATENCY_BUCKETS_S,
  EVENTS_COUNTER,
  ERRORS_COUNTER,
  OPEN_SESSIONS,
} from '../metrics/otel-instruments.js';
