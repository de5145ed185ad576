import { describe, expect, it } from 'vitest';
import { MetricsDeriver, deriveMetrics, type EventRecord, type MetricName } from './helpers/lib.js';
import { isSegment } from '../src/metrics/derive.js';

const T0 = Date.UTC(2025, 5, 23, 15, 30, 0) * 1000;

/** An event at `t` seconds after T0. */
function ev(t: number, eventType: string, sessionId: string | null = 's1', extra: Partial<EventRecord> = {}): EventRecord {
  return { timestampUs: T0 + Math.round(t * 1e6), eventType, sessionId, data: {}, ...extra };
}

type Expected = [metric: MetricName, seconds: number, session?: string | null][];

interface Case {
  name: string;
  events: EventRecord[];
  samples: Expected;
  incomplete?: Partial<Record<MetricName, number>>;
  backwards?: Partial<Record<MetricName, number>>;
  unanswered?: number;
  retried?: number;
}

/** The spec's conversation: the assistant speaks first, the user answers 34.9 s after the first TTS_START. */
const specConversation = [
  ev(0, 'SESSION_START'),
  ev(0.0, 'TTS_START'),
  ev(0.45, 'TTS_FIRST_AUDIO'),
  ev(0.5, 'TTS_PLAYBACK_START'),
  ev(3.2, 'TTS_PLAYBACK_END'),
  ev(30.0, 'RECORDING_START'),
  ev(34.9, 'RECORDING_END'),
  ev(35.0, 'STT_START'),
  ev(35.8, 'STT_COMPLETE'),
  ev(37.1, 'TTS_START'),
  ev(37.7, 'TTS_FIRST_AUDIO'),
  ev(37.8, 'TTS_PLAYBACK_START'),
  ev(40.0, 'TTS_PLAYBACK_END'),
  ev(41, 'SESSION_END'),
];

const cases: Case[] = [
  {
    name: "the spec's -34.9 s conversation gives the correct positive response time",
    events: specConversation,
    samples: [
      ['ttfa', 0.45],
      ['tts_playback', 2.7],
      ['recording_duration', 4.9],
      ['stt_latency', 0.8],
      ['response_time', 2.2],
      ['ttfa', 0.6],
      ['voice_to_voice', 2.9],
      ['tts_playback', 2.2],
    ],
  },
  {
    name: 'interleaved sessions in one stream pair only within their session',
    events: [
      ev(0, 'RECORDING_START', 'a'),
      ev(0.1, 'RECORDING_START', 'b'),
      ev(1.0, 'RECORDING_END', 'a'),
      ev(1.5, 'RECORDING_END', 'b'),
      ev(1.6, 'TTS_START', 'b'),
      ev(2.0, 'TTS_START', 'a'),
      ev(2.3, 'TTS_FIRST_AUDIO', 'a'),
      ev(2.9, 'TTS_FIRST_AUDIO', 'b'),
    ],
    samples: [
      ['recording_duration', 1.0, 'a'],
      ['recording_duration', 1.4, 'b'],
      ['response_time', 0.1, 'b'],
      ['response_time', 1.0, 'a'],
      ['ttfa', 0.3, 'a'],
      ['ttfa', 1.3, 'b'],
    ],
    incomplete: { voice_to_voice: 2 }, // no playback followed either recording
  },
  {
    name: 'an error between start and end leaves the start incomplete; the retry pairs on its own',
    events: [ev(0, 'TTS_START'), ev(0.4, 'TTS_ERROR'), ev(0.5, 'TTS_START'), ev(1.1, 'TTS_FIRST_AUDIO')],
    samples: [['ttfa', 0.6]],
    incomplete: { ttfa: 1 },
  },
  {
    name: 'a TTS error does not steal the response time: the retry’s TTS_START is not the next one',
    events: [ev(0, 'RECORDING_END'), ev(1, 'TTS_START'), ev(1.2, 'TTS_ERROR'), ev(1.5, 'TTS_START'), ev(2, 'TTS_FIRST_AUDIO')],
    samples: [
      ['response_time', 1.0],
      ['ttfa', 0.5],
    ],
    incomplete: { ttfa: 1, voice_to_voice: 1 },
  },
  {
    name: 'missing ends are counted incomplete, never guessed',
    events: [ev(0, 'TTS_START'), ev(1, 'RECORDING_START'), ev(2, 'RECORDING_END'), ev(3, 'STT_START'), ev(4, 'SESSION_END')],
    samples: [['recording_duration', 1.0]],
    incomplete: { ttfa: 1, stt_latency: 1 },
    unanswered: 1, // the session (here the conversation) ended before a reply: normal, not incomplete
  },
  {
    name: 'ends without starts give nothing',
    events: [ev(0, 'TTS_FIRST_AUDIO'), ev(1, 'RECORDING_END'), ev(2, 'STT_COMPLETE'), ev(3, 'TTS_PLAYBACK_END')],
    samples: [],
    unanswered: 1,
  },
  {
    name: 'a reply pairs across the sessions of one conversation (voicemode: one session per converse call)',
    events: [
      ev(0, 'SESSION_START', 'a', { conversation: 'a' }),
      ev(1, 'RECORDING_END', 'a', { conversation: 'a' }),
      ev(2, 'SESSION_END', 'a', { conversation: 'a' }),
      ev(2.5, 'SESSION_START', 'b', { conversation: 'a' }),
      ev(3, 'TTS_START', 'b', { conversation: 'a' }),
      ev(3.4, 'TTS_FIRST_AUDIO', 'b', { conversation: 'a' }),
      ev(3.5, 'TTS_PLAYBACK_START', 'b', { conversation: 'a' }),
      ev(4, 'RECORDING_START', 'b', { conversation: 'a' }),
      ev(5, 'RECORDING_END', 'b', { conversation: 'a' }),
      ev(6, 'SESSION_END', 'b', { conversation: 'a' }),
    ],
    samples: [
      ['response_time', 2.0, 'b'],
      ['ttfa', 0.4, 'b'],
      ['voice_to_voice', 2.5, 'b'],
      ['recording_duration', 1.0, 'b'],
    ],
    incomplete: { tts_playback: 1 },
    unanswered: 1, // b's recording: the input (the conversation) ended
  },
  {
    name: 'a re-recording after STT_NO_SPEECH counts as retried; the silent utterance it replaces is not incomplete',
    events: [
      ev(0, 'RECORDING_START'),
      ev(1, 'RECORDING_END'),
      ev(1.1, 'STT_START'),
      ev(1.2, 'STT_NO_SPEECH'),
      ev(3, 'RECORDING_START'),
      ev(4, 'RECORDING_END'),
      ev(5, 'TTS_START'),
    ],
    samples: [
      ['recording_duration', 1.0],
      ['stt_latency', 0.1],
      ['recording_duration', 1.0],
      ['response_time', 1.0],
    ],
    incomplete: { ttfa: 1, voice_to_voice: 1 }, // the reply began (TTS_START) but was never heard
    retried: 1,
  },
  {
    name: 'equal timestamps give zero, not a negative or a missing value',
    events: [ev(5, 'TTS_START'), ev(5, 'TTS_FIRST_AUDIO'), ev(6, 'RECORDING_END'), ev(6, 'TTS_START')],
    samples: [
      ['ttfa', 0],
      ['response_time', 0],
    ],
    incomplete: { ttfa: 1, voice_to_voice: 1 },
  },
  {
    name: 'an end earlier than its start (clock trouble in a file) is counted, never reported negative',
    events: [ev(5, 'STT_START'), ev(4, 'STT_COMPLETE')],
    samples: [],
    backwards: { stt_latency: 1 },
  },
  {
    name: 'STT_NO_SPEECH ends an STT operation',
    events: [ev(0, 'STT_START'), ev(0.7, 'STT_NO_SPEECH')],
    samples: [['stt_latency', 0.7]],
  },
  {
    name: 'with span ids, two overlapping TTS operations pair within their own span',
    events: [
      ev(0, 'TTS_START', 's1', { spanId: 'aa' }),
      ev(0.2, 'TTS_START', 's1', { spanId: 'bb' }),
      ev(0.5, 'TTS_FIRST_AUDIO', 's1', { spanId: 'bb' }),
      ev(0.9, 'TTS_FIRST_AUDIO', 's1', { spanId: 'aa' }),
    ],
    samples: [
      ['ttfa', 0.3],
      ['ttfa', 0.9],
    ],
  },
  {
    name: 'a second recording before any reply supersedes the first (user spoke again)',
    events: [ev(0, 'RECORDING_END'), ev(2, 'RECORDING_END'), ev(2.5, 'TTS_START'), ev(3, 'TTS_PLAYBACK_START')],
    samples: [['response_time', 0.5]],
    // the superseded recording end; the reply never heard (playback started, but neither a
    // first audio nor the playback's end came); the TTS and playback that never finished
    incomplete: { response_time: 1, voice_to_voice: 2, ttfa: 1, tts_playback: 1 },
  },
  {
    name: 'events with session_id null (speak-only calls) pair among themselves',
    events: [ev(0, 'TTS_START', null), ev(0.3, 'TTS_START', 's1'), ev(0.4, 'TTS_FIRST_AUDIO', null)],
    samples: [['ttfa', 0.4, null]],
    incomplete: { ttfa: 1 },
  },
];

describe('metrics derivation', () => {
  it.each(cases)('$name', ({ events, samples, incomplete = {}, backwards = {}, unanswered = 0, retried = 0 }) => {
    const result = deriveMetrics(events);
    // The segments of each reply are checked by the breakdown tests (test/breakdown.test.ts).
    const got = result.samples.filter((s) => !isSegment(s.metric)).map((s) => [s.metric, Number(s.seconds.toFixed(6)), s.sessionId]);
    expect(got).toEqual(samples.map(([m, v, s]) => [m, v, s === undefined ? 's1' : s]));
    for (const s of result.samples) expect(s.seconds).toBeGreaterThanOrEqual(0);
    expect(Object.fromEntries(Object.entries(result.totals.incomplete).filter(([, n]) => n > 0))).toEqual(incomplete);
    expect(Object.fromEntries(Object.entries(result.totals.backwards).filter(([, n]) => n > 0))).toEqual(backwards);
    expect([result.totals.unanswered, result.totals.retried]).toEqual([unanswered, retried]);
  });

  it('the spec sketch’s first-event-of-each-type rule really gives -34.9 s on the same events', () => {
    const first = (t: string) => specConversation.find((e) => e.eventType === t)!.timestampUs;
    expect((first('TTS_START') - first('RECORDING_END')) / 1e6).toBeCloseTo(-34.9, 6);
  });

  it('assigns turns by rule when lines carry none, and keeps the turn when they do', () => {
    const { samples } = deriveMetrics([
      ev(0, 'TTS_START'),
      ev(0.5, 'TTS_FIRST_AUDIO'),
      ev(1, 'RECORDING_START'),
      ev(2, 'RECORDING_END'),
      ev(3, 'TTS_START'),
      ev(3.5, 'TTS_FIRST_AUDIO'),
      ev(4, 'RECORDING_START'),
      ev(5, 'RECORDING_END'),
      ev(6, 'TTS_START', 's1', { turn: 7 }),
    ]);
    expect(samples.map((s) => [s.metric, s.turn])).toEqual([
      ['ttfa', 0],
      ['recording_duration', 1],
      ['response_time', 1],
      ['ttfa', 1],
      ['recording_duration', 2],
      ['response_time', 7],
    ]);
  });

  it('takes labels from the start event’s data (the reply’s TTS for response time)', () => {
    const { samples } = deriveMetrics([
      ev(0, 'RECORDING_END', 's1', { data: { transport: 'livekit' } }),
      ev(1, 'TTS_START', 's1', { data: { provider: 'openai', model: 'tts-1', voice: 'alloy', message: 'hi' } }),
      ev(1.5, 'TTS_FIRST_AUDIO'),
    ]);
    expect(samples.map((s) => s.labels)).toEqual([
      { provider: 'openai', model: 'tts-1', voice: 'alloy' },
      { provider: 'openai', model: 'tts-1', voice: 'alloy' },
    ]);
  });

  it('forgets a session at SESSION_END: memory follows open sessions, not events', () => {
    const events: EventRecord[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = `s${i}`;
      events.push(ev(i, 'SESSION_START', id), ev(i, 'TTS_START', id), ev(i + 0.5, 'TTS_FIRST_AUDIO', id), ev(i + 0.6, 'SESSION_END', id));
    }
    const samples: number[] = [];
    let maxOpen = 0;
    const d = new MetricsDeriver((s) => samples.push(s.seconds));
    for (const e of events) {
      d.push(e);
      maxOpen = Math.max(maxOpen, d.openSessions);
    }
    expect(samples).toHaveLength(1000);
    expect(maxOpen).toBe(1);
    expect(d.openSessions).toBe(0);
  });
});

describe('closing what a span left open', () => {
  it('closeSpan counts the span’s open starts as incomplete and forgets them', () => {
    const samples: number[] = [];
    const d = new MetricsDeriver((s) => samples.push(s.seconds));
    d.push(ev(0, 'TTS_START', null, { spanId: 'op1' }));
    d.push(ev(0.1, 'TTS_START', null, { spanId: 'op2' }));
    d.closeSpan(null, 'op1');
    d.push(ev(0.5, 'TTS_FIRST_AUDIO', null, { spanId: 'op1' })); // too late: not paired
    d.push(ev(0.6, 'TTS_FIRST_AUDIO', null, { spanId: 'op2' }));
    expect(samples).toEqual([0.5]);
    expect(d.totals.incomplete.ttfa).toBe(1);
  });
});
