import { describe, expect, it } from 'vitest';
import { MetricsDeriver, type EventRecord, type MetricName, type MetricSample } from './helpers/lib.js';

/**
 * How the deriver keeps open starts (derive.ts: one entry per operation with a slot per metric,
 * operations without open starts deleted in batches, the latest TTS operations in a ring).
 * The pairing rules are derive.test.ts's; these pin what the storage must keep: pairs by span
 * among many interleaved operations, bounded memory, the order starts are reported incomplete
 * in, and which TTS operation's labels a playback takes.
 */
const T0 = Date.UTC(2025, 5, 23, 15, 30, 0) * 1000;

function ev(ms: number, eventType: string, spanId: string | undefined, data: Record<string, unknown> = {}): EventRecord {
  return { timestampUs: T0 + ms * 1000, eventType, sessionId: 's1', data, traceId: 't', spanId };
}

function deriver(): { d: MetricsDeriver; samples: MetricSample[]; incomplete: [MetricName, number][] } {
  const samples: MetricSample[] = [];
  const incomplete: [MetricName, number][] = [];
  const d = new MetricsDeriver(
    (s) => samples.push(s),
    (metric, start) => incomplete.push([metric, (start.us - T0) / 1000]),
  );
  return { d, samples, incomplete };
}

describe('open starts, many operations at once', () => {
  it('pairs each end with its own operation among 200 interleaved ones, and holds nothing after', () => {
    const { d, samples } = deriver();
    // 200 TTS operations started 1 ms apart; their first audio arrives in reverse order, their
    // playbacks interleaved: every pair must come from its own span.
    for (let i = 0; i < 200; i++) d.push(ev(i, 'TTS_START', `op${i}`, { provider: `p${i % 3}` }));
    for (let i = 199; i >= 0; i--) d.push(ev(1000 + (199 - i), 'TTS_FIRST_AUDIO', `op${i}`));
    for (let i = 0; i < 200; i++) d.push(ev(2000 + i, 'TTS_PLAYBACK_START', `op${i}`));
    for (let i = 0; i < 200; i++) d.push(ev(3000 + 2 * i, 'TTS_PLAYBACK_END', `op${i}`));
    const ttfa = samples.filter((s) => s.metric === 'ttfa');
    expect(ttfa).toHaveLength(200);
    for (const s of ttfa) {
      const i = Number(s.spanId!.slice(2));
      expect(s.seconds).toBeCloseTo((1000 + (199 - i) - i) / 1000, 9);
      expect(s.labels.provider).toBe(`p${i % 3}`);
    }
    const playback = samples.filter((s) => s.metric === 'tts_playback');
    expect(playback).toHaveLength(200);
    for (const s of playback) {
      const i = Number(s.spanId!.slice(2));
      expect(s.seconds).toBeCloseTo((3000 + 2 * i - (2000 + i)) / 1000, 9);
    }
    expect(d.heldStarts).toBe(0);
    expect(d.finish().incomplete.ttfa).toBe(0);
  });

  it('keeps memory bounded by running operations: 10,000 finished ones leave at most a batch of empty entries', () => {
    const { d, samples } = deriver();
    for (let i = 0; i < 10_000; i++) {
      d.push(ev(i, 'TTS_START', `op${i}`));
      d.push(ev(i, 'TTS_FIRST_AUDIO', `op${i}`));
      d.push(ev(i, 'TTS_PLAYBACK_START', `op${i}`));
      d.push(ev(i, 'TTS_PLAYBACK_END', `op${i}`));
    }
    expect(samples).toHaveLength(20_000);
    expect(d.heldStarts).toBe(0);
    const sessions = (d as unknown as { sessions: Map<string | null, { open: Map<string, unknown> }> }).sessions;
    expect(sessions.get('s1')!.open.size).toBeLessThanOrEqual(32);
  });

  it('a start on an operation whose earlier starts were all paired (and swept) pairs again', () => {
    const { d, samples } = deriver();
    // op0's ttfa pairs, then 40 other operations finish (a sweep deletes op0's empty entry), then op0 plays.
    d.push(ev(0, 'TTS_START', 'op0'));
    d.push(ev(5, 'TTS_FIRST_AUDIO', 'op0'));
    for (let i = 1; i <= 40; i++) {
      d.push(ev(10 + i, 'TTS_START', `op${i}`));
      d.push(ev(10 + i, 'TTS_FIRST_AUDIO', `op${i}`));
    }
    d.push(ev(100, 'TTS_PLAYBACK_START', 'op0'));
    d.push(ev(130, 'TTS_PLAYBACK_END', 'op0'));
    const op0 = samples.filter((s) => s.spanId === 'op0').map((s) => [s.metric, Math.round(s.seconds * 1000)]);
    expect(op0).toEqual([
      ['ttfa', 5],
      ['tts_playback', 30],
    ]);
    expect(d.heldStarts).toBe(0);
  });

  it('at session end reports open starts metric by metric (in the order the session first used each), each in the order they began', () => {
    const { d, incomplete } = deriver();
    d.push(ev(1, 'TTS_PLAYBACK_START', 'a'));
    d.push(ev(2, 'RECORDING_START', 'b'));
    d.push(ev(3, 'TTS_START', 'c'));
    d.push(ev(4, 'TTS_PLAYBACK_START', 'd'));
    d.push(ev(5, 'TTS_START', 'a')); // a's second metric: ttfa, after c's
    d.push(ev(6, 'RECORDING_START', 'e'));
    d.push(ev(7, 'SPEECH_END', 'b'));
    d.push(ev(8, 'SPEECH_END', 'b')); // the latest SPEECH_END wins: replaced in place, not reported
    d.push(ev(9, 'SESSION_END', undefined));
    expect(incomplete).toEqual([
      ['tts_playback', 1],
      ['tts_playback', 4],
      ['recording_duration', 2],
      ['recording_duration', 6],
      ['ttfa', 3],
      ['ttfa', 5],
      ['endpointing_delay', 8],
    ]);
  });

  it('a start that replaces an open one keeps its place in that order; a session ending with one open start reports it', () => {
    const { d, incomplete } = deriver();
    d.push(ev(1, 'SPEECH_END', 'b'));
    d.push(ev(2, 'SPEECH_END', 'x'));
    d.push(ev(3, 'SPEECH_END', 'b')); // replaces b's start in place: still reported before x's
    d.push(ev(4, 'SESSION_END', undefined));
    expect(incomplete).toEqual([
      ['endpointing_delay', 3],
      ['endpointing_delay', 2],
    ]);
    const one = deriver();
    one.d.push(ev(1, 'TTS_START', 'z'));
    one.d.push(ev(2, 'SESSION_END', undefined));
    expect(one.incomplete).toEqual([['ttfa', 1]]);
  });
});

describe('the latest TTS operations (labels for playback and barge-in)', () => {
  it('a playback takes its own operation’s labels while it is among the 8 latest, else the latest TTS_START’s', () => {
    const { d, samples } = deriver();
    for (let i = 0; i < 10; i++) d.push(ev(i, 'TTS_START', `op${i}`, { provider: `p${i}` }));
    d.push(ev(20, 'TTS_PLAYBACK_START', 'op5'));
    d.push(ev(21, 'TTS_PLAYBACK_END', 'op5'));
    d.push(ev(22, 'TTS_PLAYBACK_START', 'op1')); // op0 and op1 left the 8 latest
    d.push(ev(23, 'TTS_PLAYBACK_END', 'op1'));
    d.push(ev(24, 'TTS_START', 'op5', { provider: 'again' })); // op5 again: the newest, its new labels
    d.push(ev(25, 'TTS_PLAYBACK_START', 'op5'));
    d.push(ev(26, 'TTS_PLAYBACK_END', 'op5'));
    d.push(ev(27, 'TTS_PLAYBACK_START', 'op2')); // still among the 8 latest (op2..op9 with op5 moved up)
    d.push(ev(28, 'TTS_PLAYBACK_END', 'op2'));
    const playback = samples.filter((s) => s.metric === 'tts_playback').map((s) => [s.spanId, s.labels.provider]);
    expect(playback).toEqual([
      ['op5', 'p5'],
      ['op1', 'p9'],
      ['op5', 'again'],
      ['op2', 'p2'],
    ]);
  });
});
