import type { Attributes, Span } from '@opentelemetry/api';
import { assertEventType, type EventType } from '../events/catalog.js';
import { liveOperations } from '../events/operation-bus.js';
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
  private readonly labels: { provider: string | undefined; model: string | undefined };
  private failedAs: string | undefined;

  constructor(
    protected readonly core: Core,
    readonly kind: OperationKind,
    place: OperationPlace,
    info: OperationInfo,
  ) {
    this.startUs = core.clock.nowUs();
    const provider = typeof info.provider === 'string' ? info.provider : undefined;
    const model = typeof info.model === 'string' ? info.model : undefined;
    this.labels = { provider, model };
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
      { attributes: attrs, startTime: usToHrTime(this.startUs) },
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
  /** Token usage for the GenAI metrics (LLM). */
  protected usageTotals(): { input: number | undefined; output: number | undefined } {
    return { input: undefined, output: undefined };
  }

  succeed(result: unknown): void {
    try {
      this.complete(result);
    } catch (err) {
      internalError(err);
    }
    this.end();
  }

  fail(err: unknown): void {
    const failure = markFailed(this.core, this.node, err);
    this.failedAs = failure.error_type;
    this.emit(OPERATION_KINDS[this.kind].errorEvent, { ...failure, ...this.extra });
    this.end();
  }

  /** The consumer stopped reading a wrapped stream early: end the span, marked cancelled. */
  cancel(): void {
    try {
      this.node.span.setAttribute(ATTR_CANCELLED, true);
    } catch (e) {
      internalError(e);
    }
    this.end();
  }

  private end(): void {
    if (this.node.ended) return;
    endSpan(this.core, this.node);
    // Outside a session nothing else ever ends this operation's open starts (no SESSION_END).
    if (this.node.sessionId === null) this.node.deriver.closeSpan(null, this.node.span.spanContext().spanId);
    if (liveOperations.size > 0) {
      const usage = this.usageTotals();
      liveOperations.emit({
        kind: this.kind,
        seconds: Math.max(0, this.core.clock.nowUs() - this.startUs) / 1e6,
        provider: this.labels.provider,
        model: this.labels.model,
        errorType: this.failedAs,
        inputTokens: usage.input,
        outputTokens: usage.output,
      });
    }
  }
}
