import { afterEach, describe, expect, it } from 'vitest';
import { createVoiceEvents, parseTimestampUs, type Clock } from '../helpers/lib.js';
import { makeHarness, type Harness } from '../helpers/harness.js';
import { GuardedClock } from '../../src/time/guarded-clock.js';

/**
 * An app's own clock (`options.clock`) that fails: logging must not throw into the app, nor
 * lose what is recorded, nor make a negative duration (time/guarded-clock.ts).
 */
const T0 = Date.UTC(2026, 10, 30, 9, 0, 0) * 1000;

/** A clock that gives `values` in turn (a function value is called: it may throw), then keeps giving the last. */
function scriptedClock(values: (number | unknown | (() => number))[]): Clock {
  let i = 0;
  return {
    nowUs: () => {
      const v = values[Math.min(i++, values.length - 1)];
      return (typeof v === 'function' ? (v as () => number)() : v) as number;
    },
  };
}
const boom = (): number => {
  throw new Error('clock broke');
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** A voice on the harness's pipeline with our own clock and warn. */
function voiceWith(clock: Clock): { warnings: string[]; voice: ReturnType<typeof createVoiceEvents>; h: Harness } {
  h = makeHarness();
  const warnings: string[] = [];
  const voice = createVoiceEvents({ tracer: h.provider.getTracer('t'), clock, warn: (m) => warnings.push(m) });
  return { warnings, voice, h };
}

describe('a clock that fails (options.clock)', () => {
  it('throwing from its first read: the app runs and gets its results, every event is written, one warning', async () => {
    const { voice, warnings, h } = voiceWith(scriptedClock([boom]));
    let interrupted = false;
    const result = await voice.session(async (s) => {
      const heard = await s.record({ transport: 'local' }, () => 'audio');
      const text = await s.stt({ provider: 'whisper' }, () => `text of ${heard}`);
      await s.tts({ text, provider: 'kokoro' }, async (op) => {
        op.firstAudio();
        op.playbackStart();
        interrupted = s.bargeIn({ reason: 'user spoke' });
      });
      return text;
    });
    expect(result).toBe('text of audio');
    expect(interrupted).toBe(true);
    await h.flush();
    const lines = h.lines();
    expect(lines.map((l) => l.event_type)).toEqual([
      'SESSION_START',
      'RECORDING_START',
      'RECORDING_END',
      'STT_REQUEST',
      'STT_START',
      'STT_COMPLETE',
      'TTS_REQUEST',
      'TTS_START',
      'TTS_FIRST_AUDIO',
      'TTS_PLAYBACK_START',
      'TTS_INTERRUPTED',
      'TTS_PLAYBACK_END',
      'SESSION_END',
    ]);
    // all at the one time it could give (the system clock's, read once), no negative figure
    expect(new Set(lines.map((l) => l.timestamp)).size).toBe(1);
    const end = lines.find((l) => l.event_type === 'RECORDING_END')!.data as Record<string, number>;
    expect(end.duration).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^options\.clock\.nowUs\(\) threw Error: clock broke/);
    // the spans ended too (they reach the exporter only when they end)
    expect(h.spans.getFinishedSpans().map((s) => s.name).sort()).toEqual(['voice.recording', 'voice.session', 'voice.stt', 'voice.tts', 'voice.turn']);
  });

  it('failing mid-session, going backwards or giving NaN: times never go back, durations are never negative', async () => {
    const clock = scriptedClock([T0, T0 + 1_000, T0 + 500_000, boom, NaN, T0 + 200_000, 'noon', undefined, T0 + 900_000, T0 + 400_000, T0 + 1_500_000]);
    const { voice, warnings, h } = voiceWith(clock);
    await voice.session(async (s) => {
      await s.record({}, () => undefined);
      await s.tts({ text: 'x' }, (op) => op.firstAudio());
      await s.record({}, () => undefined);
    });
    await h.flush();
    const times = h.lines().map((l) => parseTimestampUs(l.timestamp as string));
    expect(times.length).toBe(9);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    for (const l of h.lines().filter((x) => x.event_type === 'RECORDING_END')) expect((l.data as { duration: number }).duration).toBeGreaterThanOrEqual(0);
    for (const s of h.spans.getFinishedSpans()) expect(s.duration[0] * 1e9 + s.duration[1]).toBeGreaterThanOrEqual(0);
    expect(warnings).toEqual([expect.stringMatching(/^options\.clock\.nowUs\(\) threw Error: clock broke/)]);
  });

  it('reports a value that is not a number without calling anything on it', () => {
    const said: string[] = [];
    const trap = {
      toString: () => {
        throw new Error('called');
      },
    };
    const c = new GuardedClock(scriptedClock([T0, trap]), (m) => said.push(m));
    expect(c.nowUs()).toBe(T0);
    expect(c.nowUs()).toBe(T0);
    expect(said).toEqual([expect.stringMatching(/^options\.clock\.nowUs\(\) returned object, not a finite number/)]);
  });
});
