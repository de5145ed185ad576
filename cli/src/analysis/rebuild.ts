import type { Attributes } from '@opentelemetry/api';
import type { EventRecord } from 'voicemode-events';
import { ATTR_MODEL, ATTR_PROVIDER, ATTR_SESSION_ID, ATTR_TRANSPORT, ATTR_TURN_NUMBER, ATTR_VOICE, kindOfEventType, OPERATION_KINDS, ownValue, SPAN_EVENT, SPAN_SESSION, SPAN_TURN } from 'voicemode-events/internal';
import { TurnAssigner } from './turns.js';

/**
 * Rebuilds the span tree of a session from its JSONL events (for `replay`):
 * voice.session > voice.turn > voice.tts | voice.recording | voice.stt | voice.llm, with every event
 * as a span event at its original time, as the instrumentation would have produced it.
 *
 * Operations: lines with a `span_id` (ours) are grouped by it. Lines without one (the
 * Python implementation's) are grouped by rule: an event of a kind (TTS_*, RECORDING_*,
 * STT_*, LLM_*) joins the open operation of that kind, unless that operation already has an event
 * of the same type (a new TTS_START after TTS_ERROR is the retry: a new operation).
 * Session-level events (SESSION_START/END, PROVIDER_SWITCH, unknown types) go on the
 * session span, or on the turn span when they fall in a turn. Events outside any session
 * become root spans: an operation span, or a voice.event span for a lone event.
 */
export interface PlannedSpan {
  name: string;
  startUs: number;
  endUs: number;
  attributes: Attributes;
  events: EventRecord[];
  error: boolean;
  children: PlannedSpan[];
}

function newSpan(name: string, first: EventRecord, attributes: Attributes = {}): PlannedSpan {
  return { name, startUs: first.timestampUs, endUs: first.timestampUs, attributes, events: [], error: false, children: [] };
}

function addEvent(span: PlannedSpan, ev: EventRecord): void {
  span.events.push(ev);
  if (ev.timestampUs < span.startUs) span.startUs = ev.timestampUs;
  if (ev.timestampUs > span.endUs) span.endUs = ev.timestampUs;
  if (ev.eventType.endsWith('_ERROR')) span.error = true;
  for (const [key, attr] of [
    ['provider', ATTR_PROVIDER],
    ['model', ATTR_MODEL],
    ['voice', ATTR_VOICE],
    ['transport', ATTR_TRANSPORT],
  ] as const) {
    const v = ownValue(ev.data, key);
    if (typeof v === 'string' && span.name !== SPAN_SESSION && span.name !== SPAN_TURN && span.attributes[attr] === undefined) span.attributes[attr] = v;
  }
}

/** Widens parents to cover their children (a span never starts after its first child). */
function cover(span: PlannedSpan): void {
  for (const c of span.children) {
    cover(c);
    if (c.startUs < span.startUs) span.startUs = c.startUs;
    if (c.endUs > span.endUs) span.endUs = c.endUs;
  }
}

/** One session's events (time order) to its span tree; null-session events to a list of roots. */
export function planSpans(events: readonly EventRecord[]): PlannedSpan[] {
  if (events.length === 0) return [];
  const sessionId = events[0]!.sessionId;
  const roots: PlannedSpan[] = [];
  let session: PlannedSpan | undefined;
  if (sessionId !== null) {
    session = newSpan(SPAN_SESSION, events[0]!, { [ATTR_SESSION_ID]: sessionId });
    const orig = events.find((e) => e.traceId)?.traceId;
    if (orig) session.attributes['voicemode.original_trace_id'] = orig;
    roots.push(session);
  }
  const turns = new Map<number, PlannedSpan>();
  const bySpanId = new Map<string, PlannedSpan>();
  const openByKind = new Map<string, PlannedSpan>();
  const assigner = new TurnAssigner();

  for (const ev of events) {
    const turn = sessionId !== null ? assigner.assign(ev.eventType, ev.turn) : undefined;
    let turnSpan: PlannedSpan | undefined;
    if (session && turn !== undefined) {
      turnSpan = turns.get(turn);
      if (turnSpan === undefined) {
        turnSpan = newSpan(SPAN_TURN, ev, { [ATTR_SESSION_ID]: sessionId!, [ATTR_TURN_NUMBER]: turn });
        turns.set(turn, turnSpan);
        session.children.push(turnSpan);
      }
    }
    const kind = kindOfEventType(ev.eventType); // TTS_*, RECORDING_*, STT_*, LLM_*
    if (kind === undefined) {
      const host = turnSpan ?? session;
      if (host) addEvent(host, ev);
      else {
        const lone = newSpan(SPAN_EVENT, ev);
        addEvent(lone, ev);
        roots.push(lone);
      }
      continue;
    }
    let op: PlannedSpan | undefined;
    if (ev.spanId) {
      op = bySpanId.get(ev.spanId);
    } else {
      const open = openByKind.get(kind);
      if (open && !open.events.some((e) => e.eventType === ev.eventType)) op = open;
    }
    if (op === undefined) {
      const attrs: Attributes = sessionId !== null ? { [ATTR_SESSION_ID]: sessionId } : {};
      if (turn !== undefined) attrs[ATTR_TURN_NUMBER] = turn;
      op = newSpan(OPERATION_KINDS[kind].span, ev, attrs);
      if (ev.spanId) bySpanId.set(ev.spanId, op);
      else openByKind.set(kind, op);
      const host = turnSpan ?? session;
      if (host) host.children.push(op);
      else roots.push(op);
    }
    addEvent(op, ev);
  }
  for (const r of roots) cover(r);
  return roots;
}

/** Number of spans in a tree (for reporting). */
export function countSpans(spans: readonly PlannedSpan[]): number {
  let n = 0;
  for (const s of spans) n += 1 + countSpans(s.children);
  return n;
}
