import { describe, expect, it } from 'vitest';
import { MetricsDeriver, type EventRecord } from './helpers/lib.js';
import type { MetricSample } from '../src/metrics/derive.js';

/**
 * The deriver keeps some state at hand instead of looking it up per event (issue 14, round 8):
 * the last session's state, the last operation looked up, the labels of the last start of each
 * metric, and the latest TTS operations' start times and labels in columns. Each must give
 * what a fresh lookup gives.
 */
function derive(events: readonly EventRecord[]): { samples: MetricSample[]; incomplete: Record<string, number> } {
  const samples: MetricSample[] = [];
  const d = new MetricsDeriver((s) => samples.push(s));
  for (const ev of events) d.push(ev);
  return { samples, incomplete: d.finish().incomplete };
}

const ev = (us: number, eventType: string, spanId: string | undefined, data: Record<string, unknown> = {}, sessionId: string | null = 'a'): EventRecord => ({
  timestampUs: us,
  eventType,
  sessionId,
  spanId,
  data,
});

describe('deriver: state kept at hand', () => {
  it("forgets the session kept at hand at its SESSION_END: a later event of the same id starts afresh", () => {
    const { samples, incomplete } = derive([
      ev(1_000, 'TTS_START', 's1', { provider: 'p' }),
      ev(2_000, 'SESSION_END', undefined),
      // the same session id again: its state ended, the TTS operation above cannot complete
      ev(3_000, 'TTS_FIRST_AUDIO', 's1'),
    ]);
    expect(samples.filter((s) => s.metric === 'ttfa')).toEqual([]);
    expect(incomplete.ttfa).toBe(1);
  });

  it('pairs across sessions that alternate event by event', () => {
    const { samples } = derive([
      ev(1_000, 'TTS_START', 's1', {}, 'a'),
      ev(1_500, 'TTS_START', 's2', {}, 'b'),
      ev(2_000, 'TTS_FIRST_AUDIO', 's1', {}, 'a'),
      ev(4_500, 'TTS_FIRST_AUDIO', 's2', {}, 'b'),
    ]);
    expect(samples.filter((s) => s.metric === 'ttfa').map((s) => [s.sessionId, s.seconds])).toEqual([
      ['a', 0.001],
      ['b', 0.003],
    ]);
  });

  it('gives each start the labels of its own data, also when only the model changes', () => {
    const { samples } = derive([
      ev(1_000, 'TTS_START', 's1', { provider: 'p', model: 'm1', voice: 'v' }),
      ev(2_000, 'TTS_FIRST_AUDIO', 's1'),
      ev(3_000, 'TTS_START', 's2', { provider: 'p', model: 'm2', voice: 'v' }),
      ev(4_000, 'TTS_FIRST_AUDIO', 's2'),
      ev(5_000, 'TTS_START', 's3', { provider: 'p', model: 'm2', voice: 'v', transport: 't' }),
      ev(6_000, 'TTS_FIRST_AUDIO', 's3'),
      ev(7_000, 'TTS_START', 's4', { provider: 'p', model: 'm2', voice: 'v', transport: 't' }),
      ev(8_000, 'TTS_FIRST_AUDIO', 's4'),
    ]);
    const ttfa = samples.filter((s) => s.metric === 'ttfa');
    expect(ttfa.map((s) => s.labels)).toEqual([
      { provider: 'p', model: 'm1', voice: 'v' },
      { provider: 'p', model: 'm2', voice: 'v' },
      { provider: 'p', model: 'm2', voice: 'v', transport: 't' },
      { provider: 'p', model: 'm2', voice: 'v', transport: 't' },
    ]);
  });

  it("merges a playback's own labels over its TTS operation's", () => {
    const { samples } = derive([
      ev(1_000, 'TTS_START', 's1', { provider: 'p', voice: 'x' }),
      ev(2_000, 'TTS_PLAYBACK_START', 's1', { voice: 'y' }),
      ev(3_000, 'TTS_PLAYBACK_END', 's1'),
    ]);
    expect(samples.find((s) => s.metric === 'tts_playback')!.labels).toEqual({ provider: 'p', voice: 'y' });
  });

  it("keeps each recent TTS operation's labels with its span when one of them starts again", () => {
    const { samples } = derive([
      ev(1_000, 'TTS_START', 's1', { provider: 'p1' }),
      ev(2_000, 'TTS_START', 's2', { provider: 'p2' }),
      ev(3_000, 'TTS_START', 's1', { provider: 'p3' }), // s1 again: s2 moves to s1's old place
      ev(4_000, 'TTS_PLAYBACK_START', 's2'),
      ev(5_000, 'TTS_PLAYBACK_END', 's2'),
      ev(6_000, 'TTS_PLAYBACK_START', 's1'),
      ev(7_000, 'TTS_PLAYBACK_END', 's1'),
    ]);
    expect(samples.filter((s) => s.metric === 'tts_playback').map((s) => s.labels.provider)).toEqual(['p2', 'p3']);
  });

  it('takes a barge-in from the start of the TTS operation it cut, kept in the ring', () => {
    const { samples } = derive([
      ev(1_000, 'TTS_START', 's1', { provider: 'p1' }),
      ev(1_500, 'SPEECH_START', undefined), // the user spoke during s1, before s2 started
      ev(2_000, 'TTS_START', 's2', { provider: 'p2' }),
      ev(3_000, 'TTS_INTERRUPTED', 's1'),
    ]);
    const barge = samples.find((s) => s.metric === 'barge_in_stop')!;
    expect(barge.seconds).toBeCloseTo(0.0015, 12);
    expect(barge.labels).toEqual({ provider: 'p1' });
  });
});
