import type { Context, Span } from '@opentelemetry/api';
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { RedactMode } from '../events/sanitize.js';
import { resolveConfig, type EventLogOptions } from '../config.js';
import { onceEach, type Warn } from '../warn.js';
import { isStandIn, liveEvents } from '../events/live-bus.js';
import type { EventRecord } from '../events/record.js';
import { JsonlFileWriter } from './jsonl-file-writer.js';
import { spanEventToRecord } from './span-event-record.js';

/**
 * Which events of an open span were written live, by position. An event's index counts every
 * event the span ever got (`droppedEventsCount` + its place in `events`), so it survives the
 * SDK shifting the oldest events out at its limit. Our events are the common case, so what is
 * kept is the index of the newest one written live plus the ranges of indices in between that
 * other code added (usually none): O(1) per event, no per-event object. (A WeakSet of event
 * objects did the same at ~250 ns per event: see docs/performance.md.)
 */
interface LiveWritten {
  /** Which processor this state belongs to (its number: a span printed with util.inspect stays small), and the next processor's state on the same span (rarely any). */
  owner: number;
  next: LiveWritten | undefined;
  /** Set at span end: an event logged on the span later (after SIGTERM ended its session, say) is still written. */
  ended: boolean;
  lastLive: number;
  /** Flat [from, to) pairs of indices of events added by other code before `lastLive`. */
  others: number[] | undefined;
}

function addOthers(state: LiveWritten, from: number, to: number, dropped: number): void {
  let others = state.others ?? (state.others = []);
  if (others.length >= 64 && others[1]! <= dropped) {
    // Forget ranges that have left the span (shifted out at its event limit): memory stays
    // bounded by what the span holds, however long it lives.
    const kept: number[] = [];
    for (let i = 0; i < others.length; i += 2) if (others[i + 1]! > dropped) kept.push(others[i]!, others[i + 1]!);
    others = state.others = kept;
  }
  others.push(from, to);
}

function wasWrittenLive(state: LiveWritten, index: number): boolean {
  if (index > state.lastLive) return false;
  const others = state.others;
  if (others !== undefined) for (let i = 0; i < others.length; i += 2) if (index >= others[i]! && index < others[i + 1]!) return false;
  return true;
}

/**
 * Where processors keep their state on each span of their provider (which events were written
 * live, whether it ended): on the span object itself, so it lives and dies with the span. A Map
 * by span id plus a WeakSet of ended spans cost ~300 ns per operation (the WeakSet insert alone
 * ~280 ns; docs/performance.md). One symbol for all processors, so every span of ours has the
 * same shape (a symbol per processor gave each new pipeline new span shapes and made the SDK's
 * code deoptimise); spans of other providers do not have it.
 */
const STATE = Symbol('voicemode-events.jsonl');
interface Holder {
  [STATE]?: LiveWritten;
}
let processors = 0;

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
  /** Redaction of events added to spans by other code (ours were redacted when logged). */
  readonly redact: RedactMode;
  private readonly unsubscribe: () => void;
  private readonly id = ++processors;
  private readonly warnOnce: Warn;

  /** `warn` receives configuration problems and the sink's warnings (see warn.ts for the default); a `writer` given here keeps its own. */
  constructor(options: EventLogOptions & { writer?: JsonlFileWriter; warn?: Warn } = {}) {
    this.warnOnce = onceEach(options.warn);
    const cfg = resolveConfig(options, undefined, this.warnOnce);
    this.redact = cfg.redact;
    this.writer =
      options.writer ?? new JsonlFileWriter({ dir: cfg.dir, rotation: cfg.rotation, flushIntervalMs: cfg.flushIntervalMs, ...(options.warn ? { warn: options.warn } : {}) });
    this.unsubscribe = liveEvents.add((span, record, spanEvent) => this.onLiveEvent(span, record, spanEvent));
  }

  private stateOf(span: object): LiveWritten | undefined {
    let state = (span as Holder)[STATE];
    while (state !== undefined && state.owner !== this.id) state = state.next;
    return state;
  }

  onStart(span: SdkSpan, _parentContext: Context): void {
    const holder = span as unknown as Holder;
    holder[STATE] = { owner: this.id, next: holder[STATE], ended: false, lastLive: -1, others: undefined };
  }

  private onLiveEvent(span: Span, record: EventRecord, spanEvent: object | undefined): void {
    const state = this.stateOf(span);
    if (state === undefined) {
      // not one of our provider's spans: written only if it stands in for one the tracer could not start
      if (isStandIn(span)) this.writer.write(record);
      return;
    }
    this.writer.write(record); // an ended span's late event too: too late for the span, not for the file
    if (spanEvent === undefined || state.ended) return;
    // The live event is the span's newest event (emitEvent passes events[length - 1]); its
    // index is how many events the span had before it, dropped ones included.
    const { events, droppedEventsCount } = span as unknown as ReadableSpan;
    const last = events.length - 1;
    if (events[last] !== spanEvent) return; // cannot happen through emitEvent
    const index = droppedEventsCount + last;
    if (index > state.lastLive + 1) addOthers(state, state.lastLive + 1, index, droppedEventsCount);
    state.lastLive = index;
  }

  onEnd(span: ReadableSpan): void {
    const state = this.stateOf(span);
    if (state === undefined || state.ended) return;
    state.ended = true;
    if (span.droppedEventsCount > 0) {
      this.warnOnce(
        `span ${span.name} kept only the last ${span.events.length} of its events (the provider's eventCountLimit); ` +
          'the JSONL file has them all. Raise spanLimits.eventCountLimit to keep them on the span too.',
      );
    }
    // Events added to the span by other code (not through our API) are written now.
    const { events } = span;
    const base = span.droppedEventsCount;
    if (state.others === undefined && state.lastLive === base + events.length - 1) return; // all were ours (the usual case)
    for (let i = 0; i < events.length; i++) {
      if (!wasWrittenLive(state, base + i)) this.writer.write(spanEventToRecord(span, events[i]!, this.redact));
    }
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    this.unsubscribe();
    return this.writer.shutdown();
  }
}
