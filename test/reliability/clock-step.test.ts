import { describe, expect, it } from 'vitest';
import { MonotonicClock, type ClockSources } from '../../src/time/clock.js';

/** Issue 16, item 7: the clock follows a wall-clock step or a suspend, and event times never go backwards. */
/** A wall clock that runs with the monotonic one, plus `step` (what NTP, a user or a suspend adds). */
function fakeSources(wallMs: number): ClockSources & { step: number; perf: number } {
  const s = {
    step: 0,
    perf: 1000,
    wallMs: () => wallMs + (s.perf - 1000) + s.step,
    perfMs: () => s.perf,
  };
  return s;
}

const DAY = 86_400_000;

describe('MonotonicClock re-anchoring', () => {
  it('follows the wall clock after a suspend (monotonic time stood still for 3 days)', () => {
    const src = fakeSources(Date.UTC(2026, 10, 20, 12));
    const clock = new MonotonicClock({ sources: src });
    const before = clock.nowUs();
    src.step += 3 * DAY; // the laptop slept: performance.now() did not advance
    src.perf += 1500; // the next check is due
    const after = clock.nowUs();
    expect(after).toBe((Date.UTC(2026, 10, 23, 12) + 1500) * 1000); // the new wall time
    expect(after).toBeGreaterThan(before);
    expect(clock.reanchors).toBe(1);
  });

  it('ignores drift below the threshold (NTP slewing) and checks the wall clock at most once per interval', () => {
    const src = fakeSources(Date.UTC(2026, 10, 20, 12));
    let wallReads = 0;
    const counted: ClockSources = { wallMs: () => (wallReads++, src.wallMs()), perfMs: () => src.perf };
    const clock = new MonotonicClock({ sources: counted });
    wallReads = 0;
    for (let i = 0; i < 10_000; i++) {
      src.perf += 0.3; // 3 s of events
      src.step += 0.0005; // a wall clock 0.17 % fast: 5 ms of drift in total
      clock.nowUs();
    }
    expect(clock.reanchors).toBe(0);
    expect(wallReads).toBeLessThanOrEqual(3);
  });

  it('after a backward step, holds the last time until the wall clock passes it: never decreasing', () => {
    const src = fakeSources(Date.UTC(2026, 10, 20, 12));
    const clock = new MonotonicClock({ sources: src });
    src.perf += 2000;
    const t1 = clock.nowUs();
    src.step -= 60_000; // stepped back a minute
    src.perf += 1000;
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      src.perf += 500;
      times.push(clock.nowUs());
    }
    expect(clock.reanchors).toBe(1);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[0]).toBe(t1); // held
    // 100 s later, the stepped-back wall clock has passed t1 and the clock follows it again
    expect(times.at(-1)!).toBe(src.wallMs() * 1000);
    expect(times.at(-1)!).toBeGreaterThan(t1);
  });
});
