import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { context, trace, TraceFlags, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { eventAttributes } from '../events/attributes-codec.js';
import { liveEvents, markStandIn } from '../events/live-bus.js';
import { prepareData, prepareOwnData, type RedactMode } from '../events/sanitize.js';
import type { EventRecord } from '../events/record.js';
import type { MetricsDeriver } from '../metrics/derive.js';
import type { LiveDeriver } from '../metrics/deferred-derivation.js';
import type { Clock } from '../time/clock.js';
import { usToHrTime } from '../time/format.js';
import { errorText, type Warn } from '../warn.js';

/** What the instrumentation needs from its surroundings: where spans come from, what time it is. */
export interface Core {
  tracer: Tracer;
  clock: Clock;
  /** What event data loses before it leaves the process (secrets always). */
  redact: RedactMode;
  /** Pairs events outside any session (speak-only calls). */
  orphanDeriver: MetricsDeriver;
  /** Where internal errors and bad input are reported: `options.warn` (each message once), else the default reporter (warn.ts). */
  warn: Warn;
}

/** A span of ours plus what each of its events needs to carry. */
export interface SpanNode {
  readonly span: Span;
  /** The span's id, read once (a span of the app's tracer may throw on every call). */
  readonly spanId: string;
  readonly sessionId: string | null;
  readonly turn: number | undefined;
  /** Receives the node's events for live metrics (a session's derives them off the caller's path). */
  readonly deriver: LiveDeriver;
  ended: boolean;
  /** The context children of this span start in, and the active context it was made from (see parentContext). */
  childContext: Context | undefined;
  childContextFrom: Context | undefined;
}

export function newNode(span: Span, sessionId: string | null, turn: number | undefined, deriver: LiveDeriver): SpanNode {
  let spanId = '';
  try {
    spanId = span.spanContext().spanId;
  } catch {
    // a broken span of the app's tracer: its events are dropped by emitPrepared (reported)
  }
  return { span, spanId, sessionId, turn, deriver, ended: false, childContext: undefined, childContextFrom: undefined };
}

export interface ScopeSession {
  readonly node: SpanNode;
}
export interface ScopeTurn {
  readonly node: SpanNode;
  readonly session: ScopeSession;
}

/** The innermost session / turn / operation of the running async call chain. */
export interface Scope {
  readonly session?: ScopeSession | undefined;
  readonly turn?: ScopeTurn | undefined;
  readonly op?: SpanNode | undefined;
}

export const scopeStorage = new AsyncLocalStorage<Scope>();

/**
 * The one innermost-span rule: where an event logged now lands. The running operation, else
 * the running turn, when they belong to `host`'s session; else `host` itself (a session or
 * turn handle). Without a host (the top-level `logEvent`): the running operation, turn or
 * session, whichever is innermost and open; undefined outside any.
 */
export function innermostNode(host?: SpanNode): SpanNode | undefined {
  const scope = scopeStorage.getStore();
  if (scope !== undefined) {
    const op = scope.op;
    if (op !== undefined && !op.ended && (host === undefined || op.sessionId === host.sessionId)) return op;
    const turn = scope.turn?.node;
    if (turn !== undefined && !turn.ended && (host === undefined || turn.sessionId === host.sessionId)) return turn;
    if (host === undefined) {
      const session = scope.session?.node;
      if (session !== undefined && !session.ended) return session;
    }
  }
  return host;
}

/**
 * The app's object (operation info, extra data, options) read once into a plain copy. A
 * getter that throws, a Proxy that traps or is revoked: whatever can be read is kept, the
 * rest is marked, and nothing throws into the app.
 */
export function readData<T extends object>(data: T | undefined): T {
  if (data === undefined || data === null || typeof data !== 'object') return {} as T;
  try {
    return { ...data };
  } catch {
    try {
      return prepareData(data) as T; // reads what it can, marks the rest "[Unreadable]"
    } catch {
      return { unreadable: '[Unreadable]' } as T;
    }
  }
}

/** Runs fn inside our scope and, for the user's own OTel spans, inside the span's context. */
export function runInScope<R>(scope: Scope, span: Span, fn: () => R): R {
  return scopeStorage.run(scope, () => context.with(trace.setSpan(context.active(), span), fn));
}

/**
 * The context a child of `parent` starts in: the active one with `parent` as its span. The
 * active context is usually the same object call after call (the session's or turn's own),
 * so the derived context is kept: a new Context copies its whole value map (~150 ns an operation).
 */
export function parentContext(parent: SpanNode | undefined): Context {
  const active = context.active();
  if (parent === undefined) return active;
  if (parent.childContextFrom !== active || parent.childContext === undefined) {
    parent.childContextFrom = active;
    parent.childContext = trace.setSpan(active, parent.span);
  }
  return parent.childContext;
}

/** The data of every event logged without any: shared and frozen (readers never change data). */
const NO_DATA: Record<string, unknown> = Object.freeze({});

interface EventHolder {
  events?: object[];
}

/**
 * Logs one event on a span: the span event (for traces), the live record (for the JSONL
 * sink) and the derivation (for metrics), all with the same microsecond from our clock.
 * Returns that microsecond. Never throws.
 */
export function emitEvent(core: Core, node: SpanNode, eventType: string, data?: Record<string, unknown>): number {
  const us = nowUs(core);
  if (us === undefined) return 0; // the clock failed (reported): the event is dropped, nothing thrown
  // A safe, redacted copy: later changes by the app to its object do not change the log.
  emitPrepared(core, node, eventType, data === undefined ? undefined : safeData(data, core.redact), us);
  return us;
}

/**
 * emitEvent for data that is already safe and the package's own (made safe by `prepareOwnData`, or
 * numbers only), at a time already read from the clock: the start events of an operation
 * carry its start time (one clock read for the span and its start events). Never throws.
 */
export function emitPrepared(core: Core, node: SpanNode, eventType: string, copy: Record<string, unknown> | undefined, us: number): void {
  try {
    const span = node.span;
    if (!node.ended) span.addEvent(eventType, copy === undefined ? undefined : eventAttributes(copy), usToHrTime(us));
    const events = (span as EventHolder).events;
    const spanEvent = !node.ended && events && events.length > 0 ? events[events.length - 1] : undefined;
    const ctx = span.spanContext();
    const record: EventRecord = {
      timestampUs: us,
      eventType,
      sessionId: node.sessionId,
      data: copy ?? NO_DATA,
      turn: node.turn,
      traceId: ctx.traceId,
      spanId: ctx.spanId,
    };
    liveEvents.emit(span, record, spanEvent);
    node.deriver.push(record);
  } catch (err) {
    internalError(core, err);
  }
}

/** prepareOwnData (the package's own object, made safe in place) that cannot throw: the event is still logged. */
export function safeOwnData(data: Record<string, unknown>, mode: RedactMode): Record<string, unknown> {
  try {
    return prepareOwnData(data, mode);
  } catch {
    return { data: '[Unreadable]' };
  }
}

/** prepareData that cannot throw (a revoked Proxy as data): the event is still logged. */
export function safeData(data: Record<string, unknown>, mode: RedactMode): Record<string, unknown> {
  try {
    return prepareData(data, mode);
  } catch {
    return { data: '[Unreadable]' };
  }
}

/** Ends the node's span now; returns when (our clock, µs; 0 if the clock failed). */
export function endSpan(core: Core, node: SpanNode): number {
  if (node.ended) return nowUs(core) ?? 0;
  node.ended = true;
  try {
    const us = core.clock.nowUs();
    node.span.end(usToHrTime(us));
    return us;
  } catch (err) {
    internalError(core, err);
    return 0;
  }
}

/**
 * The tracer's span (the app may bring its own tracer), or, when it throws, a non-recording
 * stand-in (reported): the app's call goes on and its events still reach the live metrics and
 * the JSONL file (the sink writes a stand-in's events from the live bus), not a trace.
 */
export function startSpan(core: Core, name: string, options: SpanOptions, ctx?: Context): Span {
  try {
    return core.tracer.startSpan(name, options, ctx);
  } catch (err) {
    internalError(core, err);
    // ids of its own: the live derivation pairs an operation's events by span id
    return markStandIn(trace.wrapSpanContext({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.NONE }));
  }
}

/** The clock's time, or undefined when it throws (reported, never thrown into the app). */
export function nowUs(core: Core): number | undefined {
  try {
    return core.clock.nowUs();
  } catch (err) {
    internalError(core, err);
    return undefined;
  }
}

/** A fault inside the package: reported once (core.warn), never thrown into the app. */
export function internalError(core: Core, err: unknown): void {
  core.warn(`internal error (the app continues): ${errorText(err, true)}`);
}
