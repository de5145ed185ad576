import { SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import { assertEventType, type EventType } from '../events/catalog.js';
import { liveOperations, type OperationFigures } from '../events/operation-bus.js';
import { OPERATION_KINDS, type OperationKind } from '../events/operation-kinds.js';
import {
  ATTR_CANCELLED,
  ATTR_GEN_AI_CONVERSATION,
  ATTR_GEN_AI_MODEL,
  ATTR_GEN_AI_OPERATION,
  ATTR_GEN_AI_PROVIDER,
  ATTR_MODEL,
  ATTR_PROVIDER,
  ATTR_SESSION_ID,
  ATTR_TRANSPORT,
  ATTR_TURN_NUMBER,
} from '../events/span-attributes.js';
import type { LiveDeriver } from '../metrics/deferred-derivation.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, emitPrepared, endSpan, internalError, newNode, nowUs, parentContext, readData, safeData, startSpan, type Core, type Scope, type SpanNode } from './core.js';
import { markFailed } from './failure.js';

/** What describes an operation: low-cardinality labels plus any extra data for its start event. */
export interface OperationInfo {
  provider?: string;
  model?: string;
  voice?: string;
  transport?: string;
  [key: string]: unknown;
}

/** The handle an operation's callback receives (every kind has these). */
export interface Operation {
  readonly span: Span;
  readonly sessionId: string | null;
  readonly turn: number | undefined;
  /** Logs any other event on this operation's span. Throws TypeError only for an invalid type name. */
  event(eventType: EventType, data?: Record<string, unknown>): void;
}

/** Where an operation runs: its parent (a turn, or nothing for a standalone call) and the scope to run it in. */
export interface OperationPlace {
  parent: SpanNode | undefined;
  sessionId: string | null;
  turn: number | undefined;
  deriver: LiveDeriver;
  scope: (op: SpanNode) => Scope;
  /** What the operations of one session share (one object per session; a standalone call gets its own). */
  shared: SessionShared;
  /** The turn's own state, for its end reason (undefined outside a turn). */
  turnState: TurnState | undefined;
}

/**
 * Marks an iterable that a handle's own `op.stream()` returned: it already reports its chunks,
 * so when the callback returns it, `runOperation` does not report them a second time.
 */
export const WATCHED_STREAM = Symbol('voicemode-events.watched-stream');

/** What a watched stream reports: each chunk (before the consumer gets it), and how the stream ended. */
export interface StreamWatch<T> {
  chunk(chunk: T): void;
  /** The source is done (reported before the consumer sees the end). */
  end(): void;
  /** The source failed (its next() rejected or threw); the error then reaches the consumer. */
  error(err: unknown): void;
  /** The consumer stopped early (return() or throw() on the iterator): reported once the source is closed. */
  stop(): void;
}

/**
 * The source's chunks passed through, watched. A plain iterator rather than an async
 * generator (`for await ... yield`): a generator costs two promise hops and a resumption per
 * chunk, ~0.35 µs; a turn's 50 streamed chunks through two of them were ~17 µs, more than all
 * its spans and events (docs/performance.md). It behaves as that generator did
 * (test/stream-watch.test.ts): the source is opened at the first next(); a chunk is reported
 * before the consumer gets it (a chunk that is a promise or other thenable object is awaited,
 * as `yield` does); after
 * the end or a failure next() answers `{ done: true }` without asking the source; a consumer
 * that stops closes the source (its return()) before `stop` is reported; each iteration of
 * the iterable iterates the source again.
 */
export function watchStream<T>(source: AsyncIterable<T>, watch: StreamWatch<T>): AsyncIterable<T> {
  return new WatchedStream(source, watch);
}

/**
 * The iterable: a class (the iterator comes from its prototype), so a watched stream is one
 * object, not an object, a closure and the watch's closures (docs/performance.md, item 3c).
 */
class WatchedStream<T> implements AsyncIterable<T> {
  constructor(
    private readonly source: AsyncIterable<T>,
    private readonly watch: StreamWatch<T>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new WatchedIterator(this.source, this.watch);
  }
}

/** What a handle's `op.stream()` returns: marked (on the prototype) as reporting its chunks already. */
class OwnWatchedStream<T> extends WatchedStream<T> {}
(OwnWatchedStream.prototype as { [WATCHED_STREAM]?: boolean })[WATCHED_STREAM] = true;

/** A handle's `op.stream(source)`: `watch` sees each chunk; the operation itself does not end with the stream. */
export function ownWatchedStream<T>(source: AsyncIterable<T>, watch: StreamWatch<T>): AsyncIterable<T> {
  return new OwnWatchedStream(source, watch);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined }) as IteratorReturnResult<undefined>;

class WatchedIterator<T> implements AsyncIterableIterator<T> {
  private it: AsyncIterator<T> | undefined;
  /** The end, a failure or a stop was reported: nothing more is asked of the source or reported. */
  private closed = false;

  constructor(
    private readonly source: AsyncIterable<T>,
    private readonly watch: StreamWatch<T>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.closed) return Promise.resolve(DONE);
    let result: Promise<IteratorResult<T>>;
    try {
      this.it ??= this.source[Symbol.asyncIterator]();
      result = Promise.resolve(this.it.next());
    } catch (err) {
      return Promise.reject(this.fail(err));
    }
    return result.then(this.onResult, this.onError);
  }

  private readonly onResult = (r: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (this.closed) return DONE;
    if (r.done) {
      this.closed = true;
      this.watch.end();
      return DONE;
    }
    const chunk = r.value;
    this.watch.chunk(chunk);
    // `yield` in an async generator awaits a promise: the consumer got its value. Strings and
    // audio (typed arrays, Buffers) are not looked at: looking `then` up through their
    // prototypes on every chunk was ~1 µs of a turn (only a `then` added to String.prototype or
    // a typed array would have made the generator await one).
    if (typeof chunk === 'object' && chunk !== null && !ArrayBuffer.isView(chunk) && typeof (chunk as { then?: unknown }).then === 'function') {
      return Promise.resolve(chunk).then((value) => ({ done: false, value }));
    }
    return r;
  };

  private readonly onError = (err: unknown): never => {
    throw this.fail(err);
  };

  private fail(err: unknown): unknown {
    if (!this.closed) {
      this.closed = true;
      this.watch.error(err);
    }
    return err;
  }

  /** The consumer stops (a `break` in for-await): the source is closed, then the stop reported. */
  return(value?: unknown): Promise<IteratorResult<T>> {
    const result = { done: true, value } as IteratorReturnResult<T>;
    if (this.closed || this.it === undefined) {
      // Not started (a generator that never ran has nothing to clean up) or already over.
      this.closed = true;
      return Promise.resolve(result);
    }
    this.closed = true;
    return this.closeSource().then(
      () => {
        this.watch.stop();
        return result;
      },
      (err: unknown) => {
        this.watch.stop();
        throw err;
      },
    );
  }

  /** The consumer throws into the stream: the source is closed, the failure reported, the error thrown back. */
  throw(err?: unknown): Promise<IteratorResult<T>> {
    if (this.closed || this.it === undefined) {
      this.closed = true;
      return Promise.reject(err);
    }
    this.closed = true;
    const fail = (): never => {
      this.watch.error(err);
      throw err;
    };
    return this.closeSource().then(fail, fail);
  }

  private closeSource(): Promise<unknown> {
    try {
      const ret = this.it?.return?.();
      return Promise.resolve(ret);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * `op.stream()`'s watch where each chunk only marks something on the handle (LLM: the first
 * token and the text; TTS without playback: the first audio); the operation does not end
 * with the stream. A class, so the call per chunk stays monomorphic.
 */
export class ChunkWatch implements StreamWatch<unknown> {
  constructor(private readonly op: OperationBase) {}
  chunk(chunk: unknown): void {
    this.op.onChunk(chunk);
  }
  end(): void {}
  error(): void {}
  stop(): void {}
}

/** Something that can be cut short by a barge-in: a TTS operation. */
export interface Interruptible {
  readonly playing: boolean;
  /** Already cut short: a second barge-in has nothing to stop. */
  readonly interrupted: boolean;
  interrupt(data?: Record<string, unknown>): void;
}

export interface SessionShared {
  /**
   * TTS operations running now, oldest first: `s.bargeIn()` interrupts the one playing. An
   * array: there are one or two, and a Set of fresh objects gives each an identity hash (the
   * largest single cost of starting a TTS operation, docs/performance.md).
   */
  tts: Interruptible[];
  /** The length of the session's latest recording (s): the audio an STT that follows transcribes. */
  lastRecordingS: number | undefined;
}

export interface TurnState {
  /** Operations of the turn still running. */
  running: number;
  interrupted: boolean;
  /** Set while the turn waits for its last operation to end (a TTS still playing when the next turn began). */
  onIdle: (() => void) | undefined;
}

/** Removes `item` from a short array, keeping the order (no splice: it allocates the removed part). */
export function removeItem<T>(items: T[], item: T): void {
  const i = items.indexOf(item);
  if (i < 0) return;
  for (let j = i + 1; j < items.length; j++) items[j - 1] = items[j]!;
  items.length--;
}

export function newShared(): SessionShared {
  return { tts: [], lastRecordingS: undefined };
}

/**
 * What every kind's handle shares: its span (with the kind's name and GenAI attributes), its
 * events, and the life cycle `runOperation` drives: begin -> (chunks) -> succeed | fail |
 * cancel. A kind's handle (instrument/handles/) adds its helpers and says which events its
 * start and its result log.
 */
export abstract class OperationBase implements Operation {
  readonly node: SpanNode;
  protected readonly startUs: number;
  /** Fields the callback added with `set()`, for the closing event. */
  protected extra: Record<string, unknown> | undefined;
  // The labels of the GenAI metrics, as two fields (no object per operation).
  private readonly provider: string | undefined;
  private readonly model: string | undefined;
  private failedAs: string | undefined;

  constructor(
    protected readonly core: Core,
    readonly kind: OperationKind,
    protected readonly place: OperationPlace,
    info: OperationInfo,
  ) {
    this.startUs = core.clock.nowUs();
    if (place.turnState) place.turnState.running++;
    const provider = typeof info.provider === 'string' ? info.provider : undefined;
    const model = typeof info.model === 'string' ? info.model : undefined;
    this.provider = provider;
    this.model = model;
    const attrs: Attributes = {};
    if (place.sessionId !== null) {
      attrs[ATTR_SESSION_ID] = place.sessionId;
      attrs[ATTR_GEN_AI_CONVERSATION] = place.sessionId;
    }
    if (place.turn !== undefined) attrs[ATTR_TURN_NUMBER] = place.turn;
    const genAi = OPERATION_KINDS[kind].genAiOperation;
    if (genAi !== undefined) attrs[ATTR_GEN_AI_OPERATION] = genAi;
    if (provider !== undefined) {
      attrs[ATTR_PROVIDER] = provider;
      if (genAi !== undefined) attrs[ATTR_GEN_AI_PROVIDER] = provider;
    }
    if (model !== undefined) {
      attrs[ATTR_MODEL] = model;
      if (genAi !== undefined) attrs[ATTR_GEN_AI_MODEL] = model;
    }
    if (typeof info.transport === 'string') attrs[ATTR_TRANSPORT] = info.transport;
    this.addSpanAttributes(info, attrs);
    const span = startSpan(
      core,
      OPERATION_KINDS[kind].span,
      // A model call is a CLIENT span (GenAI conventions); a recording stays INTERNAL.
      { kind: genAi !== undefined ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: attrs, startTime: usToHrTime(this.startUs) },
      parentContext(place.parent),
    );
    this.node = newNode(span, place.sessionId, place.turn, place.deriver);
  }

  get span(): Span {
    return this.node.span;
  }
  get sessionId(): string | null {
    return this.node.sessionId;
  }
  get turn(): number | undefined {
    return this.node.turn;
  }

  event(eventType: EventType, data?: Record<string, unknown>): void {
    assertEventType(eventType);
    emitEvent(this.core, this.node, eventType, data);
  }

  /** Adds fields to the operation's closing event (RECORDING_END, STT_COMPLETE, LLM_COMPLETE, ...). */
  set(data: Record<string, unknown>): void {
    this.extra = { ...this.extra, ...readData(data) };
  }

  /** Logs an event of this operation now; returns its time (µs). */
  protected emit(eventType: string, data?: Record<string, unknown>): number {
    return emitEvent(this.core, this.node, eventType, data);
  }

  /**
   * Logs a start event at the operation's start time (the span's start: one clock read for
   * the span and its start events). `data` is made safe as by `emit`.
   */
  protected emitStart(eventType: string, data?: Record<string, unknown>): void {
    emitPrepared(this.core, this.node, eventType, data === undefined ? undefined : safeData(data, this.core.redact), this.startUs);
  }

  /** emit (now) for data that is already safe and the package's own (see `emitPrepared`); returns its time. */
  protected emitPrepared(eventType: string, prepared: Record<string, unknown> | undefined): number {
    const us = nowUs(this.core);
    if (us === undefined) return 0; // the clock failed (reported): the event is dropped
    emitPrepared(this.core, this.node, eventType, prepared, us);
    return us;
  }

  /** emitStart for data that is already safe and the package's own (see `emitPrepared`). */
  protected emitStartPrepared(eventType: string, prepared: Record<string, unknown> | undefined): void {
    emitPrepared(this.core, this.node, eventType, prepared, this.startUs);
  }

  /** The kind's own span attributes from the caller's description (e.g. the TTS voice). */
  protected addSpanAttributes(_info: OperationInfo, _attrs: Attributes): void {}
  /** The start events, from the caller's description (already a private copy). */
  abstract begin(info: OperationInfo): void;
  /** The closing events for what the callback returned (or a stream gave, see `streamResult`). */
  protected abstract complete(result: unknown): void;
  /** A chunk of a streamed result passed through (TTS: first audio; LLM: first token). */
  onChunk(_chunk: unknown): void {}
  /** What a streamed result completes with once the stream is done. */
  streamResult(): unknown {
    return undefined;
  }
  /** What the kind adds to the usage metrics when it ends (tokens, characters, audio seconds). */
  protected figures(): OperationFigures | undefined {
    return undefined;
  }
  /** Called once when the operation ends, however it ends (before its span ends). */
  protected onEnd(): void {}

  succeed(result: unknown): void {
    if (this.node.ended) return; // a wrapped stream iterated a second time
    try {
      this.complete(result);
    } catch (err) {
      internalError(this.core, err);
    }
    this.end();
  }

  fail(err: unknown): void {
    if (this.node.ended) return;
    const failure = markFailed(this.core, this.node, err);
    this.failedAs = failure.error_type;
    this.emit(OPERATION_KINDS[this.kind].errorEvent, { ...failure, ...this.extra });
    this.end();
  }

  /** The consumer stopped reading a wrapped stream early: end the span, marked cancelled. */
  cancel(): void {
    if (this.node.ended) return;
    this.failedAs = 'cancelled';
    try {
      this.node.span.setAttribute(ATTR_CANCELLED, true);
    } catch (e) {
      internalError(this.core, e);
    }
    this.end();
  }

  private end(): void {
    if (this.node.ended) return;
    try {
      this.onEnd();
    } catch (e) {
      internalError(this.core, e);
    }
    const endUs = endSpan(this.core, this.node);
    const turn = this.place.turnState;
    if (turn !== undefined && --turn.running === 0 && turn.onIdle !== undefined) turn.onIdle(); // after our span: a parent ends after its children
    // What the operation left open will never pair (its events come on its span): counted
    // incomplete now, so the deriver's memory follows running operations, not past ones (and
    // outside a session nothing else would ever end it: no SESSION_END).
    this.node.deriver.closeSpan(this.node.sessionId, this.node.span.spanContext().spanId, this.kind);
    if (liveOperations.size > 0) {
      const f = this.figures();
      liveOperations.emit({
        kind: this.kind,
        seconds: Math.max(0, endUs - this.startUs) / 1e6,
        provider: this.provider,
        model: this.model,
        errorType: this.failedAs,
        inputTokens: f?.inputTokens,
        outputTokens: f?.outputTokens,
        characters: f?.characters,
        audioS: f?.audioS,
        interrupted: f?.interrupted,
      });
    }
  }
}
