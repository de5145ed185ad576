import type { Span } from '@opentelemetry/api';
import { ListenerSet } from './listener-set.js';
import type { EventRecord } from './record.js';

/**
 * The instrumentation announces each event here the moment it is logged, so a sink can
 * write it while its span is still open (a TTS call that hangs still shows TTS_START on
 * disk). OTel's SpanProcessor has no per-event hook, hence this bus.
 *
 * `spanEvent` is the event object the span now holds (undefined for a no-op span). A sink
 * remembers it to skip, at span end, what it already wrote live: each event is written
 * exactly once. (Identity, not position: at its event limit the SDK shifts the oldest out.)
 */
export const liveEvents = new ListenerSet<[span: Span, record: EventRecord, spanEvent: object | undefined]>();

/**
 * Spans the instrumentation made up when the app's tracer could not start one (core.ts
 * startSpan): no provider's processor knows them, so a sink writes their events from the bus
 * alone (what was logged is not lost because the tracer failed). Only the failure path adds
 * to it; a sink asks only about spans that are not its provider's.
 */
const standIns = new WeakSet<Span>();

export function markStandIn(span: Span): Span {
  standIns.add(span);
  return span;
}

export function isStandIn(span: Span): boolean {
  return standIns.has(span);
}
