import { systemClock, type Clock } from './clock.js';

/**
 * The app's own clock (`options.clock`) made safe to read anywhere in the instrumentation.
 *
 * Every span start and end, every event and every duration reads the clock, many of them on
 * the app's call path (a session's or operation's constructor, `op.interrupt()`, `s.bargeIn()`).
 * An injected clock that throws, or returns something that is not a finite number, must not
 * throw into the voice app nor lose what is recorded; one that goes backwards must not make a
 * negative duration. So a read that fails gives the last good time (the system clock's time
 * if none was good yet), a time earlier than the last good one gives the last good one, and the
 * first fault is reported once. The system clock is not wrapped: it cannot fail, and the
 * default path pays nothing.
 */
export class GuardedClock implements Clock {
  private last = Number.NEGATIVE_INFINITY;
  private reported = false;

  constructor(
    private readonly clock: Clock,
    private readonly report: (message: string) => void,
  ) {}

  nowUs(): number {
    let us: unknown;
    try {
      us = this.clock.nowUs();
    } catch (err) {
      return this.fault(`threw ${(err as Error)?.stack ?? describe(err)}`);
    }
    if (typeof us !== 'number' || !Number.isFinite(us)) return this.fault(`returned ${describe(us)}, not a finite number`);
    if (us < this.last) return this.last; // never backwards: no negative duration
    this.last = us;
    return us;
  }

  private fault(what: string): number {
    if (!this.reported) {
      this.reported = true;
      this.report(`options.clock.nowUs() ${what}; events and spans keep the last time it gave (the app continues; this is reported once)`);
    }
    if (this.last === Number.NEGATIVE_INFINITY) this.last = systemClock.nowUs();
    return this.last;
  }
}

/** `clock` guarded (see GuardedClock); the system clock and an already guarded one as they are. */
export function guardClock(clock: Clock | undefined, report: (message: string) => void): Clock {
  if (clock === undefined || clock === systemClock || clock instanceof GuardedClock) return clock ?? systemClock;
  return new GuardedClock(clock, report);
}

/** A value for a message, without calling anything of the app's (no toString of an object). */
function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}
