import { performance } from 'node:perf_hooks';

/**
 * One clock for every event, span start and span end: microseconds since the Unix epoch.
 * Time is a wall-clock anchor plus the monotonic `performance.now()` delta: microsecond
 * precision, never going backwards in a process, unaffected by NTP's small slews. (OTel's own
 * span start time is Date.now(), millisecond-precise: we always pass our times explicitly.)
 *
 * Re-anchoring: the monotonic clock does not advance while a laptop sleeps, and an NTP step or
 * a manual change moves the wall clock, so an anchor read once drifts away from the date (the
 * files would be written under an old date and retention, which goes by `Date.now()`, would
 * take the live file for an old one). At most once per `checkEveryMs` of monotonic time (one
 * `Date.now()` call per second, nothing per event otherwise), the clock compares itself with
 * `Date.now()`; when they differ by more than `maxDriftMs` (1 s), it re-anchors on the wall
 * clock. Monotonicity is kept: after a forward step times jump ahead; after a backward step
 * the clock returns the last time it gave until the new wall time passes it (times stay
 * equal, never decrease; an interval measured across the step reads shorter, never negative).
 *
 * Epoch microseconds (~1.8e15) are well inside Number.MAX_SAFE_INTEGER (9e15), so a plain
 * number holds them exactly.
 */
export interface Clock {
  /** Microseconds since the Unix epoch, an integer, never decreasing. */
  nowUs(): number;
}

/** Sources of a MonotonicClock (replaceable in tests to simulate a clock step or a suspend). */
export interface ClockSources {
  wallMs(): number;
  perfMs(): number;
}

const SYSTEM_SOURCES: ClockSources = { wallMs: () => Date.now(), perfMs: () => performance.now() };

export interface MonotonicClockOptions {
  /** Re-anchor when the clock and the wall clock differ by more than this (default 1000 ms). */
  maxDriftMs?: number;
  /** Compare with the wall clock at most this often, in monotonic time (default 1000 ms). */
  checkEveryMs?: number;
  sources?: ClockSources;
}

export class MonotonicClock implements Clock {
  private anchorUs: number;
  private anchorPerfMs: number;
  private nextCheckPerfMs: number;
  private last = 0;
  private readonly maxDriftUs: number;
  private readonly checkEveryMs: number;
  private readonly src: ClockSources;
  /** Times the clock re-anchored on the wall clock (for tests and diagnostics). */
  reanchors = 0;

  constructor(options: MonotonicClockOptions = {}) {
    this.src = options.sources ?? SYSTEM_SOURCES;
    this.maxDriftUs = (options.maxDriftMs ?? 1000) * 1000;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.anchorUs = Math.round(this.src.wallMs() * 1000);
    this.anchorPerfMs = this.src.perfMs();
    this.nextCheckPerfMs = this.anchorPerfMs + this.checkEveryMs;
  }

  nowUs(): number {
    // (the system source read directly: one call less on every event)
    const perf = this.src === SYSTEM_SOURCES ? performance.now() : this.src.perfMs();
    let t = this.anchorUs + Math.round((perf - this.anchorPerfMs) * 1000);
    if (perf >= this.nextCheckPerfMs) {
      this.nextCheckPerfMs = perf + this.checkEveryMs;
      const wallUs = Math.round(this.src.wallMs() * 1000);
      if (Math.abs(wallUs - t) > this.maxDriftUs) {
        this.anchorUs = wallUs;
        this.anchorPerfMs = perf;
        this.reanchors++;
        t = wallUs;
      }
    }
    // never backwards: rounding, and a backward step (held at the last time until passed)
    if (t > this.last) this.last = t;
    return this.last;
  }
}

/** The process-wide default clock. */
export const systemClock: Clock = new MonotonicClock();

/** A clock for tests and replays: returns what it is told. */
export class ManualClock implements Clock {
  constructor(private us: number) {}
  nowUs(): number {
    return this.us;
  }
  set(us: number): void {
    this.us = us;
  }
  advanceMs(ms: number): void {
    this.us += Math.round(ms * 1000);
  }
}
