/**
 * SDK wiring: a ready NodeTracerProvider with the JSONL sink, and the sink's parts for apps
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
