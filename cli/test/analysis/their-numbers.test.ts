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
});
