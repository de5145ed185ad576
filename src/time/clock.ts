import { performance } from 'node:perf_hooks';

/**
 * One clock for every event, span start and span end: microseconds since the Unix epoch.
 * A wall-clock anchor is read once; after that time advances only by the monotonic
 * `performance.now()` delta. So times have microsecond precision, never go backwards in a
 * process, and do not jump when NTP steps the system clock. (OTel's own span start time
 * is Date.now(), millisecond-precise: we always pass our times explicitly.)
 *
 * Epoch microseconds (~1.8e15) are well inside Number.MAX_SAFE_INTEGER (9e15), so a plain
 * number holds them exactly.
 */
export interface Clock {
  /** Microseconds since the Unix epoch, an integer, never decreasing. */
  nowUs(): number;
}

export class MonotonicClock implements Clock {
  private readonly anchorUs: number;
  private readonly anchorPerfMs: number;
  private last = 0;

  constructor(wallMs: number = Date.now(), perfMs: number = performance.now()) {
    this.anchorUs = Math.round(wallMs * 1000);
    this.anchorPerfMs = perfMs;
  }

  nowUs(): number {
    const t = this.anchorUs + Math.round((performance.now() - this.anchorPerfMs) * 1000);
    // performance.now() is monotonic already; the guard keeps rounding from ever stepping back.
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
