import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { attributesToData } from '../events/attributes-codec.js';
import { prepareData, type RedactMode } from '../events/sanitize.js';
import type { EventRecord } from '../events/record.js';
import { ATTR_SESSION_ID, ATTR_TURN_NUMBER } from '../events/span-attributes.js';
import { hrTimeToUs } from '../time/format.js';

/**
 * A finished span's event as a spec record: session and turn come from the span's attributes.
 * The data goes through the same sanitizer as the API's (`prepareData`: secret keys and values,
 * the redaction mode, the limits): the event may have been added by any code
 * (`span.recordException(err)`, `span.addEvent('x', {authorization: ...})`). For our own
 * events, already sanitised, this is a no-op (the sanitizer is idempotent).
 */
export function spanEventToRecord(span: ReadableSpan, event: TimedEvent, redact: RedactMode): EventRecord {
  const sessionId = span.attributes[ATTR_SESSION_ID];
  const turn = span.attributes[ATTR_TURN_NUMBER];
  const ctx = span.spanContext();
  return {
    timestampUs: hrTimeToUs(event.time),
    eventType: event.name,
    sessionId: typeof sessionId === 'string' ? sessionId : null,
    data: prepareData(attributesToData(event.attributes), redact),
    turn: typeof turn === 'number' ? turn : undefined,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
  };
}
