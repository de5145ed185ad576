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

describe('a clock that fails (options.clock), after review', () => {
  it('a clock in the past whose first read fails: times go on at its pace after the stand-in time, durations are right', async () => {
    const past = Date.UTC(2026, 0, 1) * 1000;
    let now = past;
    let first = true;
    const clock: Clock = {
      nowUs: () => {
        if (first) {
          first = false;
          throw new Error('not ready');
        }
        return now;
      },
    };
    const { voice, h } = voiceWith(clock);
    await voice.session(async (s) => {
      await s.record({}, () => {
        now += 5_000_000; // a 5 s recording by the app's clock
      });
    });
    await h.flush();
    const lines = h.lines();
    const end = lines.find((l) => l.event_type === 'RECORDING_END')!.data as { duration: number };
    expect(end.duration).toBe(5);
    const times = lines.map((l) => parseTimestampUs(l.timestamp as string));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[times.length - 1]! - times[0]!).toBe(5_000_000);
  });

  it('clock: null is no clock (the system clock, no warning)', async () => {
    const { voice, warnings, h } = voiceWith(null as unknown as Clock);
    await voice.session(async (s) => {
      await s.record({}, () => new Promise((r) => setTimeout(r, 20)));
    });
    await h.flush();
    const end = h.lines().find((l) => l.event_type === 'RECORDING_END')!.data as { duration: number };
    expect(end.duration).toBeGreaterThan(0.01);
    expect(warnings).toEqual([]);
  });

  it('whatever the clock throws, nothing is called that throws into the app; one warning without the stack', async () => {
    const badStack = new Error('stack getter');
    Object.defineProperty(badStack, 'stack', {
      get() {
        throw new Error('stack read');
      },
    });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = {
      toString() {
        throw new Error('toString called');
      },
    };
    for (const thrown of [badStack, proxy, throwing, Object.assign(new Error('line one\nsecret second line'), { stack: 'at secret.js:1' })]) {
      const clock: Clock = {
        nowUs: () => {
          throw thrown;
        },
      };
      const { voice, warnings } = voiceWith(clock);
      await expect(voice.session(async (s) => s.tts({ text: 'x' }, () => 'ok'))).resolves.toBe('ok');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toMatch(/secret/);
      await h?.cleanup();
      h = undefined;
    }
  });

  it('a clock ahead of the stand-in time is taken as it is after a failed first read (no lag)', () => {
    const ahead = Date.now() * 1000 + 3_600_000_000; // an hour ahead of the system clock
    const c = new GuardedClock(scriptedClock([boom, ahead, ahead + 10]), () => undefined);
    c.nowUs();
    expect([c.nowUs(), c.nowUs()]).toEqual([ahead, ahead + 10]);
  });

  it('a value past 2^53 µs is no time', async () => {
    const said: string[] = [];
    const c = new GuardedClock(scriptedClock([T0, 1e300, T0 + 10]), (m) => said.push(m));
    expect([c.nowUs(), c.nowUs(), c.nowUs()]).toEqual([T0, T0, T0 + 10]);
    expect(said).toHaveLength(1);
  });
});

describe('a tracer that fails (the app brings its own)', () => {
  it('startSpan and setAttribute throwing: the app runs and gets its results; the spans that did start are logged', async () => {
    h = makeHarness();
    const base = h.provider.getTracer('t');
    const warnings: string[] = [];
    const tracer = {
      startSpan: (...args: Parameters<typeof base.startSpan>) => {
        if (args[0] === 'voice.stt') throw new Error('startSpan broke');
        const span = base.startSpan(...args);
        span.setAttribute = () => {
          throw new Error('setAttribute broke');
        };
        return span;
      },
      startActiveSpan: base.startActiveSpan.bind(base),
    } as typeof base;
    const voice = createVoiceEvents({ tracer, warn: (m) => warnings.push(m) });
    const result = await voice.session(async (s) => {
      const text = await s.stt({ provider: 'whisper', audio_s: 2 }, () => 'hello');
      await s.tts({ text }, async (op) => {
        op.firstAudio();
        op.playbackStart();
        expect(s.bargeIn()).toBe(true);
      });
      return text;
    });
    expect(result).toBe('hello');
    await h.flush();
    // the session and TTS spans started (their events are in the file, the interruption too,
    // though its setAttribute threw); STT's did not: no trace, but its events are in the file
    // all the same (its stand-in span's ids, one pair for the operation's events)
    const lines = h.lines();
    const types = lines.map((l) => l.event_type);
    expect(types).toContain('TTS_INTERRUPTED');
    expect(types).toContain('SESSION_END');
    const stt = lines.filter((l) => l.event_type === 'STT_START' || l.event_type === 'STT_COMPLETE');
    expect(stt.map((l) => l.event_type)).toEqual(['STT_START', 'STT_COMPLETE']);
    expect(stt[0]!.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(stt[1]!.span_id).toBe(stt[0]!.span_id);
    expect(stt[0]!.session_id).toBe(lines.find((l) => l.event_type === 'SESSION_START')!.session_id);
    // no span of that id reached the exporter: the stand-in is not a trace
    const finished = h.spans.getFinishedSpans();
    expect(finished.some((sp) => sp.name === 'voice.tts')).toBe(true); // the exporter did get the spans that started
    expect(finished.some((sp) => sp.spanContext().spanId === stt[0]!.span_id)).toBe(false);
    expect(warnings.some((w) => w.includes('startSpan broke'))).toBe(true);
    expect(warnings.some((w) => w.includes('setAttribute broke'))).toBe(true);
  });

  it('an LLM span whose setAttributes throws still logs LLM_COMPLETE with its tokens; a span whose spanContext throws does not reach the app', async () => {
    h = makeHarness();
    const base = h.provider.getTracer('t');
    const tracer = {
      startSpan: (...args: Parameters<typeof base.startSpan>) => {
        const span = base.startSpan(...args);
        if (args[0] === 'voice.llm') span.setAttributes = () => {
          throw new Error('setAttributes broke');
        };
        if (args[0] === 'voice.event') span.spanContext = () => {
          throw new Error('spanContext broke');
        };
        return span;
      },
      startActiveSpan: base.startActiveSpan.bind(base),
    } as typeof base;
    const voice = createVoiceEvents({ tracer, warn: () => undefined });
    await voice.session(async (s) => {
      await s.llm({ model: 'm' }, (op) => {
        op.usage({ input_tokens: 3, output_tokens: 5 });
        return 'answer';
      });
    });
    expect(() => voice.logEvent('PROVIDER_SWITCH', {})).not.toThrow(); // outside a session: a one-event span
    await h.flush();
    const done = h.lines().find((l) => l.event_type === 'LLM_COMPLETE');
    expect(done?.data).toMatchObject({ input_tokens: 3, output_tokens: 5 });
  });
});
