import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricsDeriver, type EventRecord } from './helpers/lib.js';
import type { MetricSample, SampleLabels, SampleSink, SeriesName } from '../src/metrics/derive.js';

/**
 * A MetricsDeriver takes a SampleListener (one MetricSample object per sample) or a SampleSink
 * (each sample's fields, no object: the CLI's sample store). Both must see the same samples.
 */

/** A sink that records each call's arguments by position, mapped to a sample here (not by the library's own adapter). */
class RecordingSink implements SampleSink {
  readonly samples: MetricSample[] = [];
  sample(
    metric: SeriesName,
    seconds: number,
    startUs: number,
    endUs: number,
    sessionId: string | null,
    turn: number,
    traceId: string | undefined,
    spanId: string | undefined,
    labels: SampleLabels,
  ): void {
    this.samples.push({ metric, seconds, sessionId, turn, startUs, endUs, traceId, spanId, labels });
  }
}

function both(events: readonly EventRecord[]): { viaListener: MetricSample[]; viaSink: MetricSample[] } {
  const viaListener: MetricSample[] = [];
  const a = new MetricsDeriver((s) => viaListener.push(s));
  const sink = new RecordingSink();
  const b = new MetricsDeriver(sink);
  for (const ev of events) {
    a.push(ev);
    b.push(ev);
  }
  expect(b.finish()).toEqual(a.finish());
  return { viaListener, viaSink: sink.samples };
}

const T0 = 1_750_000_000_000_000;

describe('MetricsDeriver with a SampleSink', () => {
  it('a reply: every field of each sample, in the order a listener gets them', () => {
    const link = (span: string): Partial<EventRecord> => ({ traceId: 't'.repeat(32), spanId: span });
    const at = (ms: number, eventType: string, extra: Partial<EventRecord> = {}, data: Record<string, unknown> = {}): EventRecord => ({
      timestampUs: T0 + ms * 1000,
      eventType,
      sessionId: 's',
      data,
      turn: 7,
      ...extra,
    });
    const events = [
      at(0, 'RECORDING_START', link('rec')),
      at(2000, 'RECORDING_END', link('rec')),
      at(2100, 'STT_START', link('stt'), { provider: 'whisper' }),
      at(2500, 'STT_COMPLETE', link('stt')),
      at(2600, 'TTS_START', { spanId: 'tts' }, { provider: 'kokoro', voice: 'af' }),
      at(2900, 'TTS_FIRST_AUDIO', link('tts')),
      at(2950, 'TTS_PLAYBACK_START', link('tts')),
    ];
    const { viaListener, viaSink } = both(events);
    expect(viaSink).toEqual(viaListener);
    const pick = (m: string): MetricSample => viaSink.find((s) => s.metric === m)!;
    expect(pick('recording_duration')).toEqual({
      metric: 'recording_duration',
      seconds: 2,
      sessionId: 's',
      turn: 7,
      startUs: T0,
      endUs: T0 + 2_000_000,
      traceId: 't'.repeat(32),
      spanId: 'rec',
      labels: {},
    });
    // the TTS_START has no trace id: the end's is taken; the span is the start's
    expect(pick('ttfa')).toMatchObject({ startUs: T0 + 2_600_000, endUs: T0 + 2_900_000, traceId: 't'.repeat(32), spanId: 'tts', labels: { provider: 'kokoro', voice: 'af' } });
    expect(pick('response_time')).toMatchObject({ startUs: T0 + 2_000_000, endUs: T0 + 2_600_000, spanId: 'rec', labels: { provider: 'kokoro', voice: 'af' } });
    expect(pick('voice_to_voice')).toMatchObject({ seconds: 0.95, startUs: T0 + 2_000_000, endUs: T0 + 2_950_000, spanId: 'rec', turn: 7 });
    expect(pick('stt')).toMatchObject({ seconds: 0.5, startUs: T0 + 2_000_000, endUs: T0 + 2_500_000, labels: { provider: 'whisper' } });
  });

  it('random streams: the sink gets exactly the listener’s samples and totals', () => {
    const TYPES = [
      'SESSION_START',
      'SESSION_END',
      'RECORDING_START',
      'RECORDING_END',
      'SPEECH_START',
      'SPEECH_END',
      'STT_START',
      'STT_COMPLETE',
      'STT_NO_SPEECH',
      'STT_ERROR',
      'LLM_START',
      'LLM_FIRST_TOKEN',
      'LLM_COMPLETE',
      'LLM_ERROR',
      'TTS_START',
      'TTS_FIRST_AUDIO',
      'TTS_PLAYBACK_START',
      'TTS_PLAYBACK_END',
      'TTS_INTERRUPTED',
      'TTS_ERROR',
      'CONCH_WAIT_START',
      'CONCH_WAIT_END',
    ];
    const event = fc.record({
      dt: fc.integer({ min: -2000, max: 500_000 }),
      eventType: fc.constantFrom(...TYPES),
      sessionId: fc.constantFrom<string | null>('a', 'b', null),
      spanId: fc.option(fc.constantFrom('s1', 's2', 's3', ''), { nil: undefined }),
      traceId: fc.option(fc.constantFrom('t1', 't2'), { nil: undefined }),
      turn: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
      conversation: fc.option(fc.constantFrom('c1', 'c2'), { nil: undefined }),
      provider: fc.option(fc.constantFrom('p1', 'p2'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 120 }), (raw) => {
        let us = T0;
        const events = raw.map((r): EventRecord => {
          us += r.dt;
          return {
            timestampUs: us,
            eventType: r.eventType,
            sessionId: r.sessionId,
            data: r.provider === undefined ? {} : { provider: r.provider },
            ...(r.spanId !== undefined ? { spanId: r.spanId } : {}),
            ...(r.traceId !== undefined ? { traceId: r.traceId } : {}),
            ...(r.turn !== undefined ? { turn: r.turn } : {}),
            ...(r.conversation !== undefined ? { conversation: r.conversation } : {}),
          };
        });
        const { viaListener, viaSink } = both(events);
        expect(viaSink).toEqual(viaListener);
      }),
      { numRuns: 500 },
    );
  });
});
