import type { EventType } from '../events/catalog.js';
import type { MetricName } from '../metrics/derive.js';
import type { Session } from './session.js';
import type { Warn } from '../warn.js';
import { VoiceEvents } from './voice-events.js';

/**
 * The spec's API, for code migrating from it: one current session per logger,
 * `logEvent(type, data)`, and `endSession()` returning `{ metric: seconds }`.
 *
 * Differences from the spec's sketch, on purpose: metrics pair events correctly (never
 * negative; see metrics/derive.ts), and each value is the session's *mean* for that metric
 * (equal to the spec's single value when the session had one pair). Events land on the
 * session's span; use VoiceEvents for operation and turn spans.
 */
export class EventLogger {
  private readonly voice: VoiceEvents;
  private current: Session | undefined;

  /** `warn`: where internal errors go when no `voice` is given (see VoiceEventsOptions). */
  constructor(options: { voice?: VoiceEvents; warn?: Warn } = {}) {
    this.voice = options.voice ?? new VoiceEvents(options.warn ? { warn: options.warn } : {});
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
