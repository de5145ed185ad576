import type { Context, Span } from '@opentelemetry/api';
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resolveConfig, warnOnce, type EventLogOptions } from '../config.js';
import { liveEvents } from '../events/live-bus.js';
import type { EventRecord } from '../events/record.js';
import { JsonlFileWriter } from './jsonl-file-writer.js';
import { spanEventToRecord } from './span-event-record.js';

/**
 * The JSONL sink as a SpanProcessor: add it to any tracer provider.
 *
 * Events logged through this package's API are written the moment they are logged (via the
 * live bus), so they reach disk within the flush interval even while their span is open.
 * At span end, only the events not already written (added to the span by other code) are
 * written: every event exactly once. Spans of other providers are ignored.
 */
export class JsonlEventProcessor implements SpanProcessor {
  readonly writer: JsonlFileWriter;
  /** Ids of this provider's open spans. */
  private readonly open = new Set<string>();
  /** Span event objects already written live (weak: they go with their span). */
  private readonly written = new WeakSet<object>();
  private readonly unsubscribe: () => void;

  constructor(options: EventLogOptions & { writer?: JsonlFileWriter } = {}) {
    if (options.writer) this.writer = options.writer;
    else {
      const cfg = resolveConfig(options);
      this.writer = new JsonlFileWriter({ dir: cfg.dir, rotation: cfg.rotation, flushIntervalMs: cfg.flushIntervalMs });
    }
    this.unsubscribe = liveEvents.add((span, record, spanEvent) => this.onLiveEvent(span, record, spanEvent));
  }

  onStart(span: SdkSpan, _parentContext: Context): void {
    this.open.add(span.spanContext().spanId);
  }

  private onLiveEvent(span: Span, record: EventRecord, spanEvent: object | undefined): void {
    if (!this.open.has(span.spanContext().spanId)) return; // not one of our provider's spans
    this.writer.write(record);
    if (spanEvent !== undefined) this.written.add(spanEvent);
  }

  onEnd(span: ReadableSpan): void {
    if (!this.open.delete(span.spanContext().spanId)) return;
    if (span.droppedEventsCount > 0) {
      warnOnce(
        `span ${span.name} kept only the last ${span.events.length} of its events (the provider's eventCountLimit); ` +
          'the JSONL file has them all. Raise spanLimits.eventCountLimit to keep them on the span too.',
      );
    }
    // Events added to the span by other code (not through our API) are written now.
    for (const event of span.events) if (!this.written.has(event)) this.writer.write(spanEventToRecord(span, event));
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    this.unsubscribe();
    return this.writer.shutdown();
  }
}
