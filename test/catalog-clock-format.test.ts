import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EVENT_TYPES,
  MonotonicClock,
  assertEventType,
  formatTimestampUs,
  hrTimeToUs,
  isValidEventType,
  parseTimestampUs,
  usToHrTime,
} from './helpers/lib.js';

describe('event catalog', () => {
  it('has the spec’s 18 event types', () => {
    expect(EVENT_TYPES).toHaveLength(18);
    expect(new Set(EVENT_TYPES).size).toBe(18);
    for (const t of ['TTS_FIRST_AUDIO', 'RECORDING_SAVED', 'STT_NO_SPEECH', 'TRANSPORT_SWITCH', 'PROVIDER_SWITCH']) {
      expect(EVENT_TYPES).toContain(t);
    }
  });

  it.each(['TOOL_REQUEST_START', 'CONCH_ACQUIRED', 'TIME_SINCE_LAST_SESSION', 'X', 'A1_B2'])('accepts new UPPER_SNAKE name %s', (t) => {
    expect(isValidEventType(t)).toBe(true);
    expect(() => assertEventType(t)).not.toThrow();
  });

  it.each(['', 'tts_start', 'TTS START', 'Tts_Start', '_TTS', 'TTS_', '1ABC', 'TTS__START'])('rejects %j with a TypeError naming it', (t) => {
    expect(() => assertEventType(t)).toThrow(TypeError);
    expect(() => assertEventType(t)).toThrow(JSON.stringify(t));
  });

  it.each([undefined, null, 42, {}])('rejects non-strings (%j)', (t) => {
    expect(() => assertEventType(t)).toThrow(TypeError);
  });
});

describe('timestamps', () => {
  it.each([
    [Date.UTC(2025, 5, 23, 15, 30, 45) * 1000 + 123456, '2025-06-23T15:30:45.123456Z'],
    [Date.UTC(2025, 5, 23, 15, 30, 45) * 1000, '2025-06-23T15:30:45.000000Z'],
    [Date.UTC(2025, 11, 31, 23, 59, 59) * 1000 + 999999, '2025-12-31T23:59:59.999999Z'],
    [Date.UTC(2026, 0, 1) * 1000 + 7, '2026-01-01T00:00:00.000007Z'],
  ])('formats %d as %s (six digits, UTC, Z)', (us, text) => {
    expect(formatTimestampUs(us)).toBe(text);
    expect(parseTimestampUs(text)).toBe(us);
  });

  it.each([
    ['2025-06-23T15:30:45.123456+00:00', '2025-06-23T15:30:45.123456Z'],
    ['2025-06-23T15:30:45+00:00', '2025-06-23T15:30:45.000000Z'],
    ['2025-06-23T17:30:45.5+02:00', '2025-06-23T15:30:45.500000Z'],
    ['2025-06-23T10:00:45.123456789-05:30', '2025-06-23T15:30:45.123456Z'],
    ['2025-06-23T15:30:45.123456', '2025-06-23T15:30:45.123456Z'],
    ['2025-06-23 15:30:45.1Z', '2025-06-23T15:30:45.100000Z'],
    ['2025-06-23T15:30Z', '2025-06-23T15:30:00.000000Z'],
  ])('parses the real-world variant %s', (input, normal) => {
    expect(formatTimestampUs(parseTimestampUs(input))).toBe(normal);
  });

  it.each(['', 'yesterday', '2025-13-45', '2025-13-01T00:00:00Z', '2025-06-32T00:00:00Z', '2025-06-23T24:00:00Z', '2025/06/23 15:30:45', '2025-06-23T15:30:45+0'])(
    'gives NaN for %j',
    (bad) => {
      expect(parseTimestampUs(bad)).toBeNaN();
    },
  );

  it('round-trips HrTime without losing microseconds', () => {
    const us = 1_795_464_463_545_405;
    expect(usToHrTime(us)).toEqual([1_795_464_463, 545_405_000]);
    expect(hrTimeToUs(usToHrTime(us))).toBe(us);
  });
});

describe('the one clock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('has microsecond precision and never goes backwards', () => {
    const clock = new MonotonicClock();
    let prev = clock.nowUs();
    let notWholeMs = 0;
    for (let i = 0; i < 20_000; i++) {
      const t = clock.nowUs();
      expect(t).toBeGreaterThanOrEqual(prev);
      expect(Number.isInteger(t)).toBe(true);
      if (t % 1000 !== 0) notWholeMs++;
      prev = t;
    }
    expect(notWholeMs).toBeGreaterThan(10_000);
  });

  it('does not jump when the system clock is stepped', () => {
    const clock = new MonotonicClock();
    const before = clock.nowUs();
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 3_600_000); // NTP steps back an hour
    const after = clock.nowUs();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before).toBeLessThan(1_000_000);
  });

  it('starts at the wall clock', () => {
    const clock = new MonotonicClock();
    expect(Math.abs(clock.nowUs() / 1000 - Date.now())).toBeLessThan(50);
  });
});
