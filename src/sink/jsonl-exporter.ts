import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { RedactMode } from '../events/sanitize.js';
import { resolveConfig, type EventLogOptions } from '../config.js';
import { onceEach, type Warn } from '../warn.js';
import { JsonlFileWriter } from './jsonl-file-writer.js';
import { spanEventToRecord } from './span-event-record.js';

/**
 * A standard SpanExporter that writes the events of finished spans as spec JSONL lines.
 * Use it in any OTel pipeline (e.g. behind your own BatchSpanProcessor). It only sees a
 * span when the span ends; for events on disk while their span is still open, use
 * JsonlEventProcessor, which startTelemetry() installs.
 */
export class JsonlSpanExporter implements SpanExporter {
  readonly writer: JsonlFileWriter;
  /** Redaction of events added to spans by other code (ours were redacted when logged). */
  readonly redact: RedactMode;

  /** `warn` receives configuration problems and the sink's warnings (see warn.ts for the default); a `writer` given here keeps its own. */
  constructor(options: EventLogOptions & { writer?: JsonlFileWriter; warn?: Warn } = {}) {
    const cfg = resolveConfig(options, undefined, onceEach(options.warn));
    this.redact = cfg.redact;
    this.writer =
      options.writer ?? new JsonlFileWriter({ dir: cfg.dir, rotation: cfg.rotation, flushIntervalMs: cfg.flushIntervalMs, ...(options.warn ? { warn: options.warn } : {}) });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) for (const event of span.events) this.writer.write(spanEventToRecord(span, event, this.redact));
    this.writer.flush().then(
      () => {
        const failure = this.writer.failure; // the events stay queued in the writer and are retried
        resultCallback(failure ? { code: ExportResultCode.FAILED, error: new Error(failure) } : { code: ExportResultCode.SUCCESS });
      },
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    return this.writer.shutdown();
  }
}
