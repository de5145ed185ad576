import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { attributesToData } from '../events/attributes-codec.js';
import type { EventRecord } from '../events/record.js';
import { ATTR_SESSION_ID, ATTR_TURN_NUMBER } from '../events/span-attributes.js';
import { hrTimeToUs } from '../time/format.js';

/** A finished span's event as a spec record: session and turn come from the span's attributes. */
export function spanEventToRecord(span: ReadableSpan, event: TimedEvent): EventRecord {
  const sessionId = span.attributes[ATTR_SESSION_ID];
  const turn = span.attributes[ATTR_TURN_NUMBER];
  const ctx = span.spanContext();
  return {
    timestampUs: hrTimeToUs(event.time),
    eventType: event.name,
    sessionId: typeof sessionId === 'string' ? sessionId : null,
    data: attributesToData(event.attributes),
    turn: typeof turn === 'number' ? turn : undefined,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
  };
}
