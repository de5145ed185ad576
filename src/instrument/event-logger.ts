import type { EventType } from '../events/catalog.js';
import type { MetricName } from '../metrics/derive.js';
import type { Session } from './session.js';
import { VoiceEvents } from './voice-events.js';
import type { EventLogOptions, Warn } from '../config.js';
import { startDefaultSink, tracerProviderRegistered } from '../sink/default-sink.js';

export interface EventLoggerOptions {
  /** The VoiceEvents to log through (bound to your provider). Default: one on the global provider. */
  voice?: VoiceEvents;
  /**
   * With no tracer provider registered (no `startTelemetry()`, no provider of your own), the
   * logger starts the default JSONL sink itself, as the spec's logger always writes its files,
   * and says so once on stderr. These options configure it (default: the environment), or
   * `false` to write nothing without a provider.
   */
  defaultSink?: false | (EventLogOptions & { warn?: Warn });
  /** Receives internal errors and the default sink's warnings (unless `defaultSink.warn` says otherwise). Default: see warn.ts. */
  warn?: Warn;
}

/**
 * The spec's API, for code migrating from it: one current session per logger,
 * `logEvent(type, data)`, and `endSession()` returning `{ metric: seconds }`.
 *
 * Differences from the spec's sketch, on purpose: metrics pair events correctly (never
 * negative; see metrics/derive.ts), and each value is the session's *mean* for that metric
 * (equal to the spec's single value when the session had one pair). Events land on the
 * session's span; use VoiceEvents for operation and turn spans. With no tracer provider
 * registered it writes the JSONL files itself (sink/default-sink.ts); with one, it uses it.
 */
export class EventLogger {
  private readonly voice: VoiceEvents;
  private current: Session | undefined;

  constructor(options: EventLoggerOptions = {}) {
    const redact = options.defaultSink ? options.defaultSink.redact : undefined;
    this.voice =
      options.voice ?? new VoiceEvents({ ...(options.warn ? { warn: options.warn } : {}), ...(redact === undefined ? {} : { redact }) });
    if (options.voice === undefined && options.defaultSink !== false && !tracerProviderRegistered()) {
      startDefaultSink({ ...(options.warn ? { warn: options.warn } : {}), ...options.defaultSink });
    }
  }

  get sessionId(): string | null {
    return this.current?.id ?? null;
  }

  /** Starts a session (ending the previous one, if still open, with reason "replaced"). */
  startSession(sessionId?: string): void {
    if (this.current && !this.current.ended) this.current.end({ reason: 'replaced' });
    this.current = this.voice.startSession(sessionId === undefined ? {} : { id: sessionId });
  }

  logEvent(eventType: EventType, data?: Record<string, unknown>): void {
    if (this.current && !this.current.ended) this.current.logEvent(eventType, data);
    else this.voice.logEvent(eventType, data);
  }

  /** Ends the current session; returns its metrics in seconds, or null when there was none. */
  endSession(): Partial<Record<MetricName, number>> | null {
    const session = this.current;
    this.current = undefined;
    if (!session) return null;
    const { metrics } = session.end();
    const out: Partial<Record<MetricName, number>> = {};
    for (const [name, stats] of Object.entries(metrics)) out[name as MetricName] = stats.mean;
    return out;
  }
}
