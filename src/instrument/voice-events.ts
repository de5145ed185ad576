import { trace, type Tracer } from '@opentelemetry/api';
import { resolveRedactMode } from '../config.js';
import { onceEach, type Warn } from '../warn.js';
import { assertEventType, type EventType } from '../events/catalog.js';
import type { OperationKind } from '../events/operation-kinds.js';
import type { RedactMode } from '../events/sanitize.js';
import { SPAN_EVENT } from '../events/span-attributes.js';
import { MetricsDeriver } from '../metrics/derive.js';
import { liveSamples } from '../metrics/sample-bus.js';
import type { Clock } from '../time/clock.js';
import { guardClock } from '../time/guarded-clock.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, endSpan, innermostNode, newNode, scopeStorage, startSpan, type Core, type SpanNode } from './core.js';
import { installOperationMethods, type HandleOf, type InputOf, type OperationMethods } from './kinds.js';
import { newShared, type OperationPlace } from './operation-base.js';
import { runOperation } from './run-operation.js';
import { SessionImpl, type Session, type SessionOptions } from './session.js';

export interface VoiceEventsOptions {
  /** Defaults to the global provider's tracer `voicemode-events` (works with any registered provider). */
  tracer?: Tracer;
  /**
   * Defaults to the process-wide monotonic microsecond clock. Inject one in tests. A read of it
   * that throws or is not a finite number gives the last good time (reported once through
   * `warn`), and a time going backwards the last good one: it never throws into the app.
   */
  clock?: Clock;
  /** Redaction of event data: `none`, `text` or `all`. Default: VOICEMODE_EVENT_LOG_REDACT, else `none`. */
  redact?: RedactMode;
  /** Receives internal errors and bad input (an invalid session id), each message once. Default: OTel's diag when the app set a diag logger, else stderr. */
  warn?: Warn;
}

export const TRACER_NAME = 'voicemode-events';

/**
 * The main API: sessions (callback or explicit handle), operations (one method per kind:
 * `tts`, `record`, `stt`, ...), and `logEvent`. Calls made inside a session's callback
 * (however deep, across awaits) find their session, turn and operation through
 * AsyncLocalStorage, so many concurrent sessions in one process never mix their events.
 * An operation called outside any session is a standalone span with `session_id: null`.
 */
export class VoiceEvents {
  private readonly core: Core;

  constructor(options: VoiceEventsOptions = {}) {
    const warn = onceEach(options.warn);
    this.core = {
      tracer: options.tracer ?? trace.getTracer(TRACER_NAME),
      // the app's clock cannot throw into the app nor go backwards (time/guarded-clock.ts)
      clock: guardClock(options.clock, warn),
      redact: options.redact ?? resolveRedactMode(undefined, warn),
      warn,
      orphanDeriver: new MetricsDeriver((sample) => liveSamples.emit(sample)),
    };
  }

  /** Runs fn as a session: SESSION_START before, SESSION_END after (also on a throw, which is rethrown). */
  session<R>(fn: (session: Session) => R | Promise<R>, options?: SessionOptions): Promise<R> {
    return new SessionImpl(this.core, options).run(fn);
  }

  /** Starts a session for apps whose conversation spans many callbacks; call `end()` on it. */
  startSession(options?: SessionOptions): Session {
    return new SessionImpl(this.core, options);
  }

  /** The session whose callback is running now, if any. */
  currentSession(): Session | undefined {
    return this.runningSession();
  }

  private runningSession(): SessionImpl | undefined {
    const s = scopeStorage.getStore()?.session;
    return s instanceof SessionImpl && !s.ended ? s : undefined;
  }

  /** @internal an operation of any kind: in the running session (turn rule), else standalone. */
  static runKind<K extends OperationKind>(voice: VoiceEvents, kind: K, input: InputOf<K>, fn: (op: HandleOf<K>) => unknown): unknown {
    const session = voice.runningSession();
    if (session) return SessionImpl.runKind(session, kind, input, fn);
    return runOperation(voice.core, kind, voice.standalone(), input, fn);
  }

  /**
   * Logs an event on the innermost span of ours running now (operation, turn or session).
   * Outside any session it gets a one-event `voice.event` span and `session_id: null`.
   * Throws a TypeError for an invalid type name; nothing else throws.
   */
  logEvent(eventType: EventType, data?: Record<string, unknown>): void {
    assertEventType(eventType);
    const node = innermostNode();
    if (node) {
      emitEvent(this.core, node, eventType, data);
      return;
    }
    const orphan = this.orphanNode(SPAN_EVENT);
    emitEvent(this.core, orphan, eventType, data);
    endSpan(this.core, orphan);
    this.core.orphanDeriver.closeSpan(null, orphan.span.spanContext().spanId); // a one-event span: nothing more will pair on it
  }

  private standalone(): OperationPlace {
    return {
      parent: undefined,
      sessionId: null,
      turn: undefined,
      deriver: this.core.orphanDeriver,
      scope: (op) => ({ op }),
      shared: newShared(),
      turnState: undefined,
    };
  }

  private orphanNode(name: string): SpanNode {
    const span = startSpan(this.core, name, { root: true, startTime: usToHrTime(this.core.clock.nowUs()) });
    return newNode(span, null, undefined, this.core.orphanDeriver);
  }
}
// The per-kind methods (tts, record, stt, ...) come from the kind table.
export interface VoiceEvents extends OperationMethods {}
installOperationMethods(VoiceEvents.prototype, VoiceEvents.runKind);

export function createVoiceEvents(options?: VoiceEventsOptions): VoiceEvents {
  return new VoiceEvents(options);
}
