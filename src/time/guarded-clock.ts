import { errorText } from '../warn.js';
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
  /** Added to the app's clock: set once, when it first reads well after the system clock stood in for it. */
  private offset = 0;
  /** The system clock stood in (no good read yet): the next good read is put after its time. */
  private rebase = false;
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
      return this.fault(`threw ${errorText(err, false)}`);
    }
    if (typeof us !== 'number' || !Number.isFinite(us) || Math.abs(us) > Number.MAX_SAFE_INTEGER) return this.fault(`returned ${describe(us)}, not a finite number of microseconds`);
    if (this.rebase) {
      // the app's clock may be far from the system's (a replay, a test clock): continue from
      // the time given meanwhile, at the app clock's pace, instead of holding that time until
      // the app's clock passes it (forever, for a clock in the past)
      this.rebase = false;
      this.offset = this.last - us;
    }
    const t = us + this.offset;
    if (t < this.last) return this.last; // never backwards: no negative duration
    this.last = t;
    return t;
  }

  private fault(what: string): number {
    if (!this.reported) {
      this.reported = true;
      this.report(`options.clock.nowUs() ${what}; events and spans keep the last time it gave (the app continues; this is reported once)`);
    }
    if (this.last === Number.NEGATIVE_INFINITY) {
      this.last = systemClock.nowUs();
      this.rebase = true;
    }
    return this.last;
  }
}

/**
 * `clock` guarded (see GuardedClock); the system clock and an already guarded one as they are.
 * No clock (`undefined`, `null`, or a value without a `nowUs` function: reported) is the system
 * clock.
 */
export function guardClock(clock: Clock | null | undefined, report: (message: string) => void): Clock {
  if (clock === undefined || clock === null) return systemClock;
  if (clock === systemClock || clock instanceof GuardedClock) return clock;
  let usable = false;
  try {
    usable = typeof clock.nowUs === 'function';
  } catch {
    // a Proxy or getter that throws: not usable
  }
  if (!usable) {
    report('options.clock has no nowUs() function; the system clock is used');
    return systemClock;
  }
  return new GuardedClock(clock, report);
}

/** A value for a message, without calling anything of the app's (no toString of an object). */
function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}
