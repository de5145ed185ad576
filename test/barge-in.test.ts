import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveMetrics, SPAN_TTS, SPAN_TURN, type EventRecord } from './helpers/lib.js';
import { expectAllowedTree, makeHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const T0 = Date.UTC(2026, 10, 30, 9, 0, 0) * 1000;
function ev(t: number, eventType: string, spanId?: string, data: Record<string, unknown> = {}): EventRecord {
  return { timestampUs: T0 + Math.round(t * 1e6), eventType, sessionId: 's1', data, ...(spanId ? { spanId } : {}) };
}
const values = (events: EventRecord[], metric: string) =>
  deriveMetrics(events).samples.filter((s) => s.metric === metric).map((s) => Number(s.seconds.toFixed(6)));

describe('barge-in in the derivation', () => {
  it('during playback: barge_in_stop from SPEECH_START to TTS_INTERRUPTED; the cut playback is tts_playback_interrupted', () => {
    const events = [
      ev(0, 'TTS_START', 't1'),
      ev(0.3, 'TTS_FIRST_AUDIO', 't1'),
      ev(0.3, 'TTS_PLAYBACK_START', 't1'),
      ev(1.0, 'RECORDING_START', 'r1'),
      ev(1.1, 'SPEECH_START', 'r1'),
      ev(1.35, 'TTS_INTERRUPTED', 't1', { played_s: 1.05 }),
      ev(1.35, 'TTS_PLAYBACK_END', 't1', { interrupted: true }),
      ev(2.0, 'SPEECH_END', 'r1'),
      ev(2.5, 'RECORDING_END', 'r1'),
    ];
    expect(values(events, 'barge_in_stop')).toEqual([0.25]);
    expect(values(events, 'tts_playback_interrupted')).toEqual([1.05]);
    expect(values(events, 'tts_playback')).toEqual([]);
    expect(values(events, 'ttfa')).toEqual([0.3]); // the interrupted reply's TTFA still counts
    expect(values(events, 'endpointing_delay')).toEqual([0.5]);
  });

  it('before the first audio: barge_in_stop counts, the unheard TTS is no reply', () => {
    const events = [
      ev(0, 'RECORDING_START', 'r0'),
      ev(0.1, 'SPEECH_START', 'r0'),
      ev(0.5, 'SPEECH_END', 'r0'),
      ev(0.9, 'RECORDING_END', 'r0'),
      ev(1.0, 'TTS_START', 't1'),
      ev(1.2, 'RECORDING_START', 'r1'),
      ev(1.3, 'SPEECH_START', 'r1'),
      ev(1.4, 'TTS_INTERRUPTED', 't1', { played_s: 0 }),
    ];
    const { totals } = deriveMetrics(events);
    expect(values(events, 'barge_in_stop')).toEqual([0.1]);
    expect(values(events, 'voice_to_voice')).toEqual([]);
    expect(totals.incomplete.voice_to_voice).toBe(1); // the reply to r0 was never heard
  });

  it('two in a row: each interruption pairs with the speech start during its own TTS', () => {
    const events = [
      ev(0, 'TTS_START', 't1'),
      ev(0.2, 'TTS_FIRST_AUDIO', 't1'),
      ev(0.2, 'TTS_PLAYBACK_START', 't1'),
      ev(0.5, 'SPEECH_START', 'r1'),
      ev(0.7, 'TTS_INTERRUPTED', 't1'),
      ev(0.7, 'TTS_PLAYBACK_END', 't1', { interrupted: true }),
      ev(1.0, 'TTS_START', 't2'),
      ev(1.2, 'TTS_FIRST_AUDIO', 't2'),
      ev(1.2, 'TTS_PLAYBACK_START', 't2'),
      ev(1.6, 'SPEECH_START', 'r2'),
      ev(1.9, 'TTS_INTERRUPTED', 't2'),
      ev(1.9, 'TTS_PLAYBACK_END', 't2', { interrupted: true }),
    ];
    expect(values(events, 'barge_in_stop')).toEqual([0.2, 0.3]);
    expect(values(events, 'tts_playback_interrupted')).toEqual([0.5, 0.7]);
  });

  it('an interruption with no speech start during the TTS is counted, not guessed', () => {
    const events = [ev(0, 'SPEECH_START', 'r0'), ev(1, 'TTS_START', 't1'), ev(1.2, 'TTS_INTERRUPTED', 't1')];
    expect(values(events, 'barge_in_stop')).toEqual([]);
    expect(deriveMetrics(events).totals.incomplete.barge_in_stop).toBe(1);
  });
});

describe('barge-in through the API', () => {
  async function* chunks(n: number, ms = 3): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < n; i++) {
      await sleep(ms);
      yield new Uint8Array(4);
    }
  }

  it('s.bargeIn() interrupts the TTS playing now; the turn ends when its TTS stops, marked interrupted', async () => {
    let result = false;
    const m = await h.voice.session(async (s) => {
      await s.record({}, async (op) => {
        op.speechStart();
        await sleep(2);
        op.speechEnd();
        await sleep(2);
      });
      await s.stt({}, () => 'hi');
      const playing = s.tts({ text: 'a long answer' }, async (op) => {
        for await (const _c of op.stream(chunks(50), { playback: true })) {
          if (result) break; // the app's player stops on the barge-in
        }
      });
      await sleep(15);
      const next = s.record({}, async (op) => {
        op.speechStart();
        await sleep(3);
        result = s.bargeIn({ source: 'vad' });
        await sleep(2);
        op.speechEnd();
      });
      await playing;
      await next;
      return s.metrics();
    });
    await h.flush();
    expect(result).toBe(true);
    const lines = h.lines();
    const cut = lines.find((l) => l.event_type === 'TTS_INTERRUPTED')!;
    expect((cut.data as { played_s: number }).played_s).toBeGreaterThan(0.005);
    expect(cut.data).toMatchObject({ source: 'vad' });
    const end = lines.find((l) => l.event_type === 'TTS_PLAYBACK_END' && l.span_id === cut.span_id)!;
    expect(end.data).toEqual({ interrupted: true });
    expect(lines.filter((l) => l.event_type === 'TTS_PLAYBACK_END')).toHaveLength(1); // the stream's end adds none
    expect(m.metrics.barge_in_stop?.count).toBe(1);
    expect(m.metrics.tts_playback_interrupted?.count).toBe(1);
    expect(m.metrics.voice_to_voice?.count).toBe(1); // heard before it was cut

    const spans = h.spans.getFinishedSpans();
    expectAllowedTree(spans);
    const tts = spans.find((s) => s.name === SPAN_TTS)!;
    expect(tts.attributes['voice.interrupted']).toBe(true);
    const turn = spans.find((s) => s.spanContext().spanId === tts.parentSpanContext?.spanId)!;
    expect(turn.name).toBe(SPAN_TURN);
    expect(turn.attributes).toMatchObject({ 'turn.interrupted': true, 'gen_ai.agent.invocation.end_reason': 'interrupted' });
    // The next recording opened a new turn while the TTS played; the interrupted turn waited for it.
    expect(Number(turn.endTime[0]) * 1e9 + turn.endTime[1]).toBeGreaterThanOrEqual(Number(tts.endTime[0]) * 1e9 + tts.endTime[1]);
    const other = spans.filter((s) => s.name === SPAN_TURN && s !== turn);
    for (const t of other) expect(t.attributes['gen_ai.agent.invocation.end_reason']).toBe('completed');
  });

  it('bargeIn() with nothing running returns false and logs nothing; interrupt() twice logs once', async () => {
    await h.voice.session(async (s) => {
      expect(s.bargeIn()).toBe(false);
      await s.tts({ text: 'x' }, (op) => {
        op.firstAudio();
        op.interrupt();
        op.interrupt();
        op.playbackStart(); // after the interruption: nothing plays
      });
    });
    await h.flush();
    const types = h.lines().map((l) => l.event_type);
    expect(types.filter((t) => t === 'TTS_INTERRUPTED')).toHaveLength(1);
    expect(types).not.toContain('TTS_PLAYBACK_START');
  });

  it('a session ending while its TTS still plays closes the turn as session_closed', async () => {
    const s = h.voice.startSession();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const playing = s.tts({ text: 'never finished' }, async (op) => {
      op.firstAudio();
      op.playbackStart();
      await gate;
    });
    await sleep(2);
    s.end();
    release();
    await playing;
    await h.flush();
    const turn = h.spans.getFinishedSpans().find((x) => x.name === SPAN_TURN)!;
    expect(turn.attributes['gen_ai.agent.invocation.end_reason']).toBe('session_closed');
  });

  it('usage on the spans and in the data: characters on TTS_START, audio seconds of TTS and STT', async () => {
    await h.voice.session(async (s) => {
      await s.record({}, () => sleep(5));
      await s.stt({ provider: 'whisper' }, () => 'hello');
      await s.stt({ provider: 'whisper', audio_s: 2.5 }, () => 'again');
      await s.tts({ text: 'four' }, (op) => {
        op.audio({ seconds: 0.5 });
        op.audio({ bytes: 32_000, sample_rate: 16_000 }); // 1 s of 16-bit mono
      });
    });
    await h.flush();
    const lines = h.lines();
    const data = (type: string) => lines.filter((l) => l.event_type === type).map((l) => l.data as Record<string, number>);
    expect(data('TTS_START')[0]!.characters).toBe(4);
    const recorded = data('RECORDING_END')[0]!.duration!;
    expect(data('STT_START').map((d) => d.audio_s)).toEqual([recorded, 2.5]);
    const spans = h.spans.getFinishedSpans();
    expect(spans.find((x) => x.name === SPAN_TTS)!.attributes).toMatchObject({ 'voice.text_length': 4, 'voice.tts.audio_s': 1.5 });
    expect(spans.filter((x) => x.name === 'voice.stt').map((x) => x.attributes['voice.stt.audio_s'])).toEqual([recorded, 2.5]);
  });
});

describe('found in the second review', () => {
  it('an interruption in a session that had no TTS_START or SPEECH_START is counted, never an Infinity sample', () => {
    const { samples, totals } = deriveMetrics([ev(0, 'TTS_INTERRUPTED', 't1')]);
    expect(samples.filter((s) => s.metric === 'barge_in_stop')).toEqual([]);
    expect(totals.incomplete.barge_in_stop).toBe(1);
  });

  it('a recording with only a SPEECH_END (the user was already talking) is speech, and gets its reply', () => {
    const events = [
      ev(0, 'RECORDING_START', 'r1'),
      ev(0.1, 'SPEECH_START', 'r1'),
      ev(0.5, 'SPEECH_END', 'r1'),
      ev(0.8, 'RECORDING_END', 'r1'),
      ev(1.0, 'TTS_START', 't1'),
      ev(1.2, 'TTS_FIRST_AUDIO', 't1'),
      ev(1.2, 'TTS_PLAYBACK_START', 't1'),
      ev(2.0, 'RECORDING_START', 'r2'),
      ev(2.5, 'SPEECH_END', 'r2'),
      ev(3.0, 'RECORDING_END', 'r2'),
      ev(3.1, 'TTS_START', 't2'),
    ];
    const { totals } = deriveMetrics(events);
    expect(values(events, 'response_time')).toEqual([0.2, 0.1]);
    expect(totals.noSpeechRecordings).toBe(0);
  });

  it('a VAD-silent recording and its STT_NO_SPEECH make no retry that would hide an earlier unanswered utterance', () => {
    const events = [
      ev(0, 'RECORDING_START', 'r1'),
      ev(0.1, 'SPEECH_START', 'r1'),
      ev(0.5, 'SPEECH_END', 'r1'),
      ev(0.8, 'RECORDING_END', 'r1'), // never answered
      ev(1.0, 'RECORDING_START', 'r2'),
      ev(2.0, 'RECORDING_END', 'r2'), // silent
      ev(2.5, 'STT_NO_SPEECH', 's2'),
      ev(3.0, 'RECORDING_START', 'r3'),
      ev(3.1, 'SPEECH_START', 'r3'),
      ev(3.5, 'SPEECH_END', 'r3'),
      ev(3.8, 'RECORDING_END', 'r3'),
      ev(4.0, 'TTS_START', 't1'),
    ];
    const { totals } = deriveMetrics(events);
    expect(totals.noSpeechRecordings).toBe(1);
    expect(totals.retried).toBe(0);
    expect(totals.incomplete.response_time).toBe(1); // r1's reply never came
  });

  it('a barge-in before the first audio withdraws the TTFA (not an incomplete pair); without span ids the flag does not leak to the next TTS', () => {
    const early = [ev(0, 'TTS_START', 't1'), ev(0.1, 'SPEECH_START', 'r1'), ev(0.2, 'TTS_INTERRUPTED', 't1')];
    expect(deriveMetrics(early).totals.incomplete.ttfa).toBe(0);
    const noSpans = [
      ev(0, 'TTS_START'),
      ev(0.1, 'TTS_INTERRUPTED'),
      ev(1.0, 'TTS_START'),
      ev(1.2, 'TTS_PLAYBACK_START'),
      ev(2.0, 'TTS_PLAYBACK_END'),
    ];
    expect(values(noSpans, 'tts_playback')).toEqual([0.8]);
    expect(values(noSpans, 'tts_playback_interrupted')).toEqual([]);
  });

  it('LLM set() data with a __proto__ key stays data; saved() and interrupt() take hostile data without throwing', async () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    await h.voice.session(async (s) => {
      await s.llm({}, (op) => {
        op.set(JSON.parse('{"__proto__":{"polluted":1},"k":2}'));
        return 'hello';
      });
      await s.record({}, (op) => op.saved('/tmp/x.wav', revoked.proxy as never));
    });
    await h.flush();
    const complete = h.lines().find((l) => l.event_type === 'LLM_COMPLETE')!.data as Record<string, unknown>;
    expect(complete.text).toBe('hello');
    expect(complete.k).toBe(2);
    expect(Object.prototype.hasOwnProperty.call(complete, '__proto__')).toBe(true);
    expect(h.lines().some((l) => l.event_type === 'RECORDING_SAVED')).toBe(true);
  });

  it('bargeIn() skips a TTS already cut short; a turn waiting for its TTS reports ended and takes no new operation', async () => {
    await h.voice.session(async (s) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const t = s.startTurn();
      const playing = t.tts({ text: 'x' }, async (op) => {
        op.firstAudio();
        op.playbackStart();
        await gate;
      });
      await sleep(1);
      expect(s.bargeIn()).toBe(true);
      expect(s.bargeIn()).toBe(false); // nothing left to stop
      t.end();
      expect(t.ended).toBe(true);
      release();
      await playing;
    });
    await h.flush();
    expect(h.lines().filter((l) => l.event_type === 'TTS_INTERRUPTED')).toHaveLength(1);
  });
});

describe('pipelined TTS (several operations at once)', () => {
  it('a barge-in and the cut playback take the labels of the operation cut short, not of the latest TTS_START', () => {
    const { samples } = deriveMetrics([
      ev(0, 'TTS_START', 't0', { provider: 'openai' }),
      ev(0.2, 'TTS_FIRST_AUDIO', 't0'),
      ev(0.2, 'TTS_PLAYBACK_START', 't0'),
      ev(0.5, 'TTS_START', 't1', { provider: 'kokoro' }),
      ev(0.6, 'SPEECH_START', 'r1'),
      ev(0.8, 'TTS_INTERRUPTED', 't0'),
      ev(0.8, 'TTS_PLAYBACK_END', 't0', { interrupted: true }),
    ]);
    const providers = (metric: string) => samples.filter((s) => s.metric === metric).map((s) => s.labels.provider);
    expect(providers('barge_in_stop')).toEqual(['openai']);
    expect(providers('tts_playback_interrupted')).toEqual(['openai']);
  });

  it('with more TTS operations than candidates, the reply is still credited to the one heard first', () => {
    const events = [ev(0, 'RECORDING_END', 'r0')];
    for (let i = 0; i < 10; i++) events.push(ev(0.1 + i * 0.01, 'TTS_START', `t${i}`));
    events.push(ev(0.5, 'TTS_FIRST_AUDIO', 't0'), ev(0.5, 'TTS_PLAYBACK_START', 't0'));
    for (let i = 1; i < 10; i++) events.push(ev(0.6 + i * 0.01, 'TTS_FIRST_AUDIO', `t${i}`), ev(0.6 + i * 0.01, 'TTS_PLAYBACK_START', `t${i}`));
    const s = deriveMetrics(events).samples;
    const seg = (m: string) => s.filter((x) => x.metric === m).map((x) => Number(x.seconds.toFixed(6)));
    expect(seg('voice_to_voice')).toEqual([0.5]);
    expect(seg('tts_wait')).toEqual([0.1]); // t0 started at 0.1 s
  });
});
