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
import type { MetricsDeriver } from '../metrics/derive.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, endSpan, internalError, newNode, parentContext, readData, type Core, type Scope, type SpanNode } from './core.js';
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
  deriver: MetricsDeriver;
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

export function watchedStream<T>(source: AsyncIterable<T>, onChunk: (chunk: T) => void, onDone?: () => void): AsyncIterable<T> {
  return {
    [WATCHED_STREAM]: true,
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of source) {
          onChunk(chunk);
          yield chunk;
        }
      } finally {
        onDone?.();
      }
    },
  } as AsyncIterable<T>;
}

/** Something that can be cut short by a barge-in: a TTS operation. */
export interface Interruptible {
  readonly playing: boolean;
  /** Already cut short: a second barge-in has nothing to stop. */
  readonly interrupted: boolean;
  interrupt(data?: Record<string, unknown>): void;
}

export interface SessionShared {
  /** TTS operations running now, oldest first: `s.bargeIn()` interrupts the one playing. */
  tts: Set<Interruptible>;
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

export function newShared(): SessionShared {
  return { tts: new Set(), lastRecordingS: undefined };
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
    const span = core.tracer.startSpan(
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

  protected emit(eventType: string, data?: Record<string, unknown>): void {
    emitEvent(this.core, this.node, eventType, data);
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
    endSpan(this.core, this.node);
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
        seconds: Math.max(0, this.core.clock.nowUs() - this.startUs) / 1e6,
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
