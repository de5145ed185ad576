import { describe, expect, it } from 'vitest';
import { deriveMetrics } from '../../src/metrics/derive.js';
import type { EventRecord } from '../../src/events/record.js';

const ev = (us: number, eventType: string, data: Record<string, unknown> = {}, spanId?: string): EventRecord => ({
  timestampUs: us,
  eventType,
  sessionId: 's',
  data,
  spanId,
});

describe('derive: playback samples carry the labels of their TTS operation', () => {
  it.each([
    ['with span ids', 'a', 'b'],
    ['without span ids (Python logs)', undefined, undefined],
  ])('%s', (_name, tts0, tts1) => {
    const { samples } = deriveMetrics([
      ev(0, 'TTS_START', { provider: 'openai', voice: 'alloy' }, tts0),
      ev(100, 'TTS_FIRST_AUDIO', {}, tts0),
      ev(200, 'TTS_PLAYBACK_START', {}, tts0),
      ev(300, 'TTS_PLAYBACK_END', {}, tts0),
      ev(400, 'RECORDING_START'),
      ev(500, 'RECORDING_END'),
      ev(600, 'TTS_START', { provider: 'kokoro' }, tts1),
      ev(700, 'TTS_FIRST_AUDIO', {}, tts1),
      ev(800, 'TTS_PLAYBACK_START', {}, tts1),
      ev(900, 'TTS_PLAYBACK_END', {}, tts1),
    ]);
    const by = (m: string) => samples.filter((s) => s.metric === m).map((s) => s.labels.provider);
    expect(by('tts_playback')).toEqual(['openai', 'kokoro']);
    expect(by('voice_to_voice')).toEqual(['kokoro']);
    expect(by('response_time')).toEqual(['kokoro']);
    expect(samples.find((s) => s.metric === 'voice_to_voice')!.seconds).toBeCloseTo(0.0003, 9);
  });
});
