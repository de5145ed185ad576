import { describe, expect, it } from 'vitest';
import { TheirNumbers } from '../../src/analysis/their-numbers.js';
import type { EventRecord } from '../../../src/events/record.js';

/** Their numbers keep our latest sample per metric and session as a record rewritten in place (no object per sample). */
describe('their numbers: our latest sample per session', () => {
  const sttComplete = (us: number, sessionId: string, requestMs: number): EventRecord => ({
    timestampUs: us,
    eventType: 'STT_COMPLETE',
    sessionId,
    data: { metrics: { request_time_ms: requestMs } },
  });

  it('compares their value with the latest sample of the session, not an earlier one', () => {
    const t = new TheirNumbers();
    t.sample('stt_latency', 0.5, 1_000_000, 'a');
    t.event(sttComplete(1_000_000, 'a', 0)); // 0: not measured, nothing compared, our sample stays
    t.sample('stt_latency', 0.8, 3_000_000, 'a'); // the next one replaces it
    t.sample('stt_latency', 0.2, 3_000_000, 'b'); // another session's own
    t.event(sttComplete(3_000_000, 'a', 700));
    t.event(sttComplete(3_000_000, 'b', 150));
    const stt = t.finish().find((c) => c.key === 'request_time_ms')!;
    expect(stt.pairs).toBe(2);
    // ours - theirs: 800 - 700 and 200 - 150, median of the two
    expect(stt.medianDiffMs).toBeCloseTo(75, 9);
  });

  it('never pairs a sample that ended after the event carrying theirs', () => {
    const t = new TheirNumbers();
    t.sample('stt_latency', 0.5, 1_000_000, 'a');
    t.event(sttComplete(1_000_000, 'a', 0));
    t.sample('stt_latency', 0.8, 5_000_000, 'a');
    t.event(sttComplete(4_000_000, 'a', 700)); // earlier than our latest sample's end
    expect(t.finish().find((c) => c.key === 'request_time_ms')!.pairs).toBe(0);
  });

  const sessionEnd = (us: number, sessionId: string): EventRecord => ({ timestampUs: us, eventType: 'SESSION_END', sessionId, data: {} });

  it('compares a sample once, and forgets a session\'s sample at its SESSION_END', () => {
    const t = new TheirNumbers();
    t.sample('stt_latency', 0.5, 1_000_000, 'a');
    t.event(sttComplete(1_000_000, 'a', 400));
    t.event(sttComplete(1_500_000, 'a', 300)); // the sample was used: nothing to compare
    t.sample('stt_latency', 0.9, 2_000_000, 'a');
    t.event(sessionEnd(2_100_000, 'a'));
    t.event(sttComplete(2_200_000, 'a', 800)); // after SESSION_END: the session's sample is gone
    t.sample('stt_latency', 0.6, 3_000_000, 'a'); // the session logs again: its new sample counts
    t.event(sttComplete(3_000_000, 'a', 500));
    const stt = t.finish().find((c) => c.key === 'request_time_ms')!;
    expect(stt.pairs).toBe(2);
    expect(stt.medianDiffMs).toBeCloseTo((100 + 100) / 2, 9); // 500 - 400, 600 - 500
  });

  it('keeps no record of ended sessions beyond a sweep\'s batch (one session at a time, as the CLI feeds them)', () => {
    const t = new TheirNumbers();
    for (let i = 0; i < 1000; i++) {
      const sid = `s${i}`;
      t.sample('stt_latency', 0.5, i * 10_000_000 + 1_000_000, sid);
      t.sample('recording_duration', 1.5, i * 10_000_000 + 900_000, sid);
      if (i % 3 === 0) t.event(sttComplete(i * 10_000_000 + 1_000_000, sid, 450)); // every third: compared, then ended
      t.event(sessionEnd(i * 10_000_000 + 2_000_000, sid));
    }
    const latest = (t as unknown as { latest: Map<string, Map<string | null, unknown>> }).latest;
    for (const m of latest.values()) expect(m.size).toBeLessThanOrEqual(64);
    expect(t.finish().find((c) => c.key === 'request_time_ms')!.pairs).toBe(334);
  });
});
