import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { deriveMetrics, SEGMENT_NAMES, type EventRecord, type MetricSample } from './helpers/lib.js';
import { makeHarness } from './helpers/harness.js';

const T0 = Date.UTC(2026, 10, 30, 9, 0, 0) * 1000;

/** An event at `t` seconds after T0 in session s1 (optionally on a span). */
function ev(t: number, eventType: string, spanId?: string): EventRecord {
  return { timestampUs: T0 + Math.round(t * 1e6), eventType, sessionId: 's1', data: {}, ...(spanId ? { spanId } : {}) };
}

type Reply = Record<'voice_to_voice' | (typeof SEGMENT_NAMES)[number], number>;

/** Each reply's voice_to_voice and segments, as the deriver emits them (voice_to_voice, then its five parts). */
function replies(samples: readonly MetricSample[]): Reply[] {
  const out: Reply[] = [];
  for (const s of samples) {
    if (s.metric === 'voice_to_voice') out.push({ voice_to_voice: s.seconds, endpointing: NaN, stt: NaN, llm: NaN, tts_wait: NaN, tts_first_audio: NaN });
    else if ((SEGMENT_NAMES as readonly string[]).includes(s.metric)) out[out.length - 1]![s.metric as (typeof SEGMENT_NAMES)[number]] = s.seconds;
  }
  return out;
}

const round = (r: Reply): Reply => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(6))])) as Reply;

interface Case {
  name: string;
  events: EventRecord[];
  /** voice_to_voice, endpointing, stt, llm, tts_wait, tts_first_audio (seconds) */
  expect: [number, number, number, number, number, number][];
  incompleteV2v?: number;
}

const cases: Case[] = [
  {
    name: 'the full loop with VAD: every milestone present',
    events: [
      ev(0, 'RECORDING_START'),
      ev(0.5, 'SPEECH_START'),
      ev(2.0, 'SPEECH_END'),
      ev(2.5, 'RECORDING_END'),
      ev(2.6, 'STT_START'),
      ev(3.0, 'STT_COMPLETE'),
      ev(3.1, 'LLM_START'),
      ev(3.7, 'LLM_FIRST_TOKEN'),
      ev(3.8, 'TTS_START'),
      ev(4.2, 'TTS_FIRST_AUDIO'),
      ev(4.25, 'TTS_PLAYBACK_START'),
    ],
    expect: [[2.25, 0.5, 0.5, 0.7, 0.1, 0.45]],
  },
  {
    name: 'no SPEECH_END: endpointing is 0 and voice_to_voice starts at RECORDING_END',
    events: [ev(0, 'RECORDING_END'), ev(0.4, 'STT_COMPLETE'), ev(1.0, 'LLM_FIRST_TOKEN'), ev(1.1, 'TTS_START'), ev(1.5, 'TTS_FIRST_AUDIO'), ev(1.5, 'TTS_PLAYBACK_START')],
    expect: [[1.5, 0, 0.4, 0.6, 0.1, 0.4]],
  },
  {
    name: 'no LLM logged: its time shows as tts_wait',
    events: [ev(0, 'RECORDING_END'), ev(0.4, 'STT_COMPLETE'), ev(1.4, 'TTS_START'), ev(1.8, 'TTS_FIRST_AUDIO'), ev(1.9, 'TTS_PLAYBACK_START')],
    expect: [[1.9, 0, 0.4, 0, 1.0, 0.5]],
  },
  {
    name: 'streaming production log: TTS_PLAYBACK_START before TTS_FIRST_AUDIO, heard at the first audio',
    events: [ev(0, 'RECORDING_END'), ev(0.5, 'STT_COMPLETE'), ev(1.0, 'TTS_START'), ev(1.05, 'TTS_PLAYBACK_START'), ev(1.6, 'TTS_FIRST_AUDIO'), ev(3, 'TTS_PLAYBACK_END')],
    expect: [[1.6, 0, 0.5, 0, 0.5, 0.6]],
  },
  {
    name: 'playback marked without a first-audio mark: heard at playback start, known at its end',
    events: [ev(0, 'RECORDING_END'), ev(0.5, 'TTS_START'), ev(0.9, 'TTS_PLAYBACK_START'), ev(2, 'TTS_PLAYBACK_END')],
    expect: [[0.9, 0, 0, 0, 0.5, 0.4]],
  },
  {
    name: 'an LLM error and its retry: the first token of the retry, the lost time in llm',
    events: [
      ev(0, 'RECORDING_END'),
      ev(0.3, 'STT_COMPLETE'),
      ev(0.4, 'LLM_START', 'l1'),
      ev(0.9, 'LLM_ERROR', 'l1'),
      ev(1.0, 'LLM_START', 'l2'),
      ev(1.6, 'LLM_FIRST_TOKEN', 'l2'),
      ev(1.7, 'TTS_START', 't1'),
      ev(2.0, 'TTS_FIRST_AUDIO', 't1'),
      ev(2.0, 'TTS_PLAYBACK_START', 't1'),
    ],
    expect: [[2.0, 0, 0.3, 1.3, 0.1, 0.3]],
  },
  {
    name: 'an LLM attempt that fails after its first token: the retry\'s first token is M3',
    events: [
      ev(0, 'RECORDING_END'),
      ev(0.3, 'STT_COMPLETE'),
      ev(0.4, 'LLM_START', 'l1'),
      ev(0.6, 'LLM_FIRST_TOKEN', 'l1'),
      ev(0.9, 'LLM_ERROR', 'l1'),
      ev(1.0, 'LLM_START', 'l2'),
      ev(1.6, 'LLM_FIRST_TOKEN', 'l2'),
      ev(2.1, 'TTS_START', 't1'),
      ev(2.4, 'TTS_FIRST_AUDIO', 't1'),
      ev(2.4, 'TTS_PLAYBACK_START', 't1'),
    ],
    expect: [[2.4, 0, 0.3, 1.3, 0.5, 0.3]],
  },
  {
    name: 'a TTS error and its retry (with span ids): heard through the retry, the failed attempt is tts_wait',
    events: [
      ev(0, 'RECORDING_END', 'r1'),
      ev(0.2, 'STT_COMPLETE', 's1'),
      ev(0.5, 'LLM_FIRST_TOKEN', 'l1'),
      ev(0.6, 'TTS_START', 't1'),
      ev(0.9, 'TTS_ERROR', 't1'),
      ev(1.0, 'TTS_START', 't2'),
      ev(1.4, 'TTS_FIRST_AUDIO', 't2'),
      ev(1.5, 'TTS_PLAYBACK_START', 't2'),
    ],
    expect: [[1.5, 0, 0.2, 0.3, 0.5, 0.5]],
  },
  {
    name: 'old logs without span ids: the same by order',
    events: [ev(0, 'RECORDING_END'), ev(0.2, 'STT_COMPLETE'), ev(0.6, 'TTS_START'), ev(0.9, 'TTS_ERROR'), ev(1.0, 'TTS_START'), ev(1.4, 'TTS_FIRST_AUDIO'), ev(1.5, 'TTS_PLAYBACK_START')],
    expect: [[1.5, 0, 0.2, 0, 0.8, 0.5]],
  },
  {
    name: 'an early milestone (STT done after the first token) takes its predecessor time: no negative segment',
    events: [ev(0, 'RECORDING_END'), ev(0.5, 'LLM_FIRST_TOKEN'), ev(0.8, 'STT_COMPLETE'), ev(1.0, 'TTS_START'), ev(1.2, 'TTS_FIRST_AUDIO'), ev(1.3, 'TTS_PLAYBACK_START')],
    expect: [[1.3, 0, 0.8, 0, 0.2, 0.3]],
  },
  {
    name: 'a reply never heard (no playback) is incomplete, not guessed',
    events: [ev(0, 'RECORDING_END'), ev(0.5, 'TTS_START'), ev(0.9, 'TTS_FIRST_AUDIO')],
    expect: [],
    incompleteV2v: 1,
  },
];

describe('the reply breakdown (M0..M5)', () => {
  it.each(cases)('$name', ({ events, expect: expected, incompleteV2v = 0 }) => {
    const { samples, totals } = deriveMetrics(events);
    const got = replies(samples).map(round);
    expect(got).toEqual(
      expected.map(([v, e, s, l, w, f]) => ({ voice_to_voice: v, endpointing: e, stt: s, llm: l, tts_wait: w, tts_first_audio: f })),
    );
    for (const r of replies(samples)) {
      const sum = SEGMENT_NAMES.reduce((a, n) => a + r[n], 0);
      expect(Math.abs(sum - r.voice_to_voice)).toBeLessThan(1e-6);
    }
    expect(totals.incomplete.voice_to_voice).toBe(incompleteV2v);
  });

  it('on any generated turn the segments are >= 0 and sum to voice_to_voice within 1 µs (fast-check)', () => {
    const gap = fc.integer({ min: 0, max: 3_000_000 }); // µs
    const turn = fc.record({
      speech: gap,
      endpoint: gap,
      stt: fc.option(gap, { nil: undefined }),
      llmErrors: fc.integer({ min: 0, max: 2 }),
      llm: fc.option(gap, { nil: undefined }),
      ttsErrors: fc.integer({ min: 0, max: 2 }),
      tts: gap,
      firstAudio: fc.option(gap, { nil: undefined }),
      playback: gap,
      playbackFirst: fc.boolean(),
      withSpans: fc.boolean(),
    });
    fc.assert(
      // An app reports voice activity for all its recordings or for none.
      fc.property(fc.boolean(), fc.array(turn, { minLength: 1, maxLength: 6 }), (vad, turns) => {
        const events: EventRecord[] = [];
        let us = T0;
        let id = 0;
        const at = (type: string, dt: number, span?: string): void => {
          us += dt;
          events.push({ timestampUs: us, eventType: type, sessionId: 's', data: {}, ...(span ? { spanId: span } : {}) });
        };
        let heard = 0;
        for (const t of turns) {
          const sp = (): string | undefined => (t.withSpans ? `s${++id}` : undefined);
          at('RECORDING_START', 1000, sp());
          if (vad) {
            at('SPEECH_START', 100);
            at('SPEECH_END', t.speech);
          }
          at('RECORDING_END', t.endpoint);
          if (t.stt !== undefined) at('STT_COMPLETE', t.stt);
          for (let i = 0; i < t.llmErrors; i++) {
            const s = sp();
            at('LLM_START', 10, s);
            at('LLM_ERROR', 10, s);
          }
          const llm = sp();
          if (t.llm !== undefined) {
            at('LLM_START', 10, llm);
            at('LLM_FIRST_TOKEN', t.llm, llm);
          }
          for (let i = 0; i < t.ttsErrors; i++) {
            const s = sp();
            at('TTS_START', 10, s);
            at('TTS_ERROR', 10, s);
          }
          const tts = sp();
          at('TTS_START', t.tts, tts);
          if (t.playbackFirst) {
            at('TTS_PLAYBACK_START', t.playback, tts);
            if (t.firstAudio !== undefined) at('TTS_FIRST_AUDIO', t.firstAudio, tts);
          } else {
            if (t.firstAudio !== undefined) at('TTS_FIRST_AUDIO', t.firstAudio, tts);
            at('TTS_PLAYBACK_START', t.playback, tts);
          }
          at('TTS_PLAYBACK_END', 500_000, tts);
          heard++;
        }
        const { samples, totals } = deriveMetrics(events);
        const rs = replies(samples);
        expect(rs).toHaveLength(heard); // every reply was heard (playback always ends)
        expect(totals.incomplete.voice_to_voice).toBe(0);
        for (const r of rs) {
          for (const n of SEGMENT_NAMES) expect(r[n]).toBeGreaterThanOrEqual(0);
          const sum = SEGMENT_NAMES.reduce((a, n) => a + r[n], 0);
          expect(Math.abs(sum - r.voice_to_voice)).toBeLessThanOrEqual(1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a VAD session: a recording with no speech opens no reply; speech resumed after a SPEECH_END withdraws it', () => {
    const { samples, totals } = deriveMetrics([
      ev(0, 'RECORDING_START'),
      ev(0.2, 'SPEECH_START'),
      ev(1.0, 'SPEECH_END'),
      ev(1.2, 'SPEECH_START'), // the user went on: the first end was a pause
      ev(2.0, 'SPEECH_END'),
      ev(2.4, 'RECORDING_END'),
      ev(2.5, 'TTS_START'),
      ev(2.8, 'TTS_FIRST_AUDIO'),
      ev(2.8, 'TTS_PLAYBACK_START'),
      ev(3.0, 'TTS_PLAYBACK_END'),
      ev(4.0, 'RECORDING_START'),
      ev(9.0, 'RECORDING_END'), // silence: the VAD heard nothing
    ]);
    expect(replies(samples).map(round)).toEqual([{ voice_to_voice: 0.8, endpointing: 0.4, stt: 0, llm: 0, tts_wait: 0.1, tts_first_audio: 0.3 }]);
    expect(samples.filter((s) => s.metric === 'endpointing_delay').map((s) => Number(s.seconds.toFixed(6)))).toEqual([0.4]);
    expect(totals.noSpeechRecordings).toBe(1);
    expect(totals.incomplete.response_time + totals.incomplete.voice_to_voice + totals.incomplete.endpointing_delay).toBe(0);
  });
});

describe('the breakdown live, through the API', () => {
  it('s.end() has the segments; a TTS stream played as it arrives marks playback itself', async () => {
    const h = makeHarness();
    try {
      async function* audio(): AsyncGenerator<Uint8Array> {
        await sleep(5);
        yield new Uint8Array(4);
        yield new Uint8Array(4);
      }
      async function* words(): AsyncGenerator<string> {
        await sleep(3);
        yield 'Hi';
      }
      const metrics = await h.voice.session(async (s) => {
        await s.record({}, () => sleep(2));
        await s.stt({}, async () => {
          await sleep(2);
          return 'hello';
        });
        for await (const _token of s.llm({ provider: 'openai' }, () => words())) void _token; // a streamed reply
        await s.tts({ text: 'Hi' }, async (op) => {
          for await (const _chunk of op.stream(audio(), { playback: true })) void _chunk;
        });
        return s.metrics();
      });
      await h.flush();
      const types = h.lines().map((l) => l.event_type);
      expect(types.filter((t) => String(t).startsWith('TTS_PLAYBACK'))).toEqual(['TTS_PLAYBACK_START', 'TTS_PLAYBACK_END']);
      expect(metrics.metrics.voice_to_voice?.count).toBe(1);
      const b = metrics.breakdown;
      expect(Object.keys(b).sort()).toEqual([...SEGMENT_NAMES].sort());
      const sum = SEGMENT_NAMES.reduce((a, n) => a + b[n]!.total, 0);
      expect(sum).toBeCloseTo(metrics.metrics.voice_to_voice!.total, 6);
      expect(b.stt!.total).toBeGreaterThan(0.001);
      expect(b.tts_first_audio!.total).toBeGreaterThan(0.003);
    } finally {
      await h.cleanup();
    }
  });
});
