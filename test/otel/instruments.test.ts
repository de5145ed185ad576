import { MeterProvider, type DataPoint } from '@opentelemetry/sdk-metrics';
import { TestReader } from '../helpers/test-reader.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Span } from '@opentelemetry/api';
import { liveEvents } from '../../src/events/live-bus.js';
import type { EventRecord } from '../../src/events/record.js';
import { EVENTS_COUNTER, ERRORS_COUNTER, HISTOGRAMS, installVoiceInstruments } from '../../src/metrics/otel-instruments.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup() {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const off = installVoiceInstruments(provider.getMeter('test'));
  cleanups.push(off, () => provider.shutdown());
  const log = (eventType: string, data: Record<string, unknown> = {}) => {
    const record: EventRecord = { timestampUs: 1_763_000_000_000_000, eventType, sessionId: 'conv_1', data };
    liveEvents.emit({} as Span, record, undefined);
  };
  const points = async (name: string) => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as DataPoint<number>[];
  };
  return { log, points };
}

describe('event and error counters', () => {
  it('count events by type and errors by stage and error_type', async () => {
    const { log, points } = setup();
    for (let i = 0; i < 3; i++) log('TTS_START');
    log('TTS_ERROR', { error_type: 'Timeout' });
    log('STT_ERROR', {});
    const events = await points(EVENTS_COUNTER);
    expect(Object.fromEntries(events.map((p) => [p.attributes.event_type, p.value]))).toEqual({ TTS_START: 3, TTS_ERROR: 1, STT_ERROR: 1 });
    const errors = await points(ERRORS_COUNTER);
    expect(errors.map((p) => [p.attributes.stage, p.attributes.error_type, p.value])).toEqual([
      ['tts', 'Timeout', 1],
      ['stt', 'unknown', 1],
    ]);
  });

  it('past 500 event types further ones count as OTHER, and an error among them still counts as an error', async () => {
    const { log, points } = setup();
    for (let i = 0; i < 600; i++) log(`CUSTOM_${i}`);
    log('CUSTOM_0'); // a known type keeps its own series
    log('TTS_ERROR', { error_type: 'Quota' });
    const events = await points(EVENTS_COUNTER);
    expect(events).toHaveLength(501);
    const byType = Object.fromEntries(events.map((p) => [p.attributes.event_type, p.value]));
    expect(byType.CUSTOM_0).toBe(2);
    expect(byType.OTHER).toBe(101); // CUSTOM_500..599 and the TTS_ERROR
    const errors = await points(ERRORS_COUNTER);
    expect(errors.map((p) => [p.attributes.stage, p.attributes.error_type, p.value])).toEqual([['tts', 'Quota', 1]]);
  });
});

describe('queued histogram samples', () => {
  it('stt_latency keeps its outcome per sample: no_speech for STT_NO_SPEECH, transcribed for STT_COMPLETE, in the same collection', async () => {
    const { liveSamples } = await import('../../src/metrics/sample-bus.js');
    const { log, points } = setup();
    const sample = (endUs: number) =>
      ({ metric: 'stt_latency', seconds: 0.5, sessionId: 'conv_1', turn: 1, startUs: endUs - 500_000, endUs, labels: { provider: 'whisper' } }) as const;
    // Each sample follows its end event, as emitEvent publishes them; all are queued before the collection.
    const at = 1_763_000_000_000_000;
    log('STT_NO_SPEECH');
    liveSamples.emit(sample(at));
    log('STT_COMPLETE');
    liveSamples.emit({ ...sample(at), endUs: at + 1 }); // not the end event's time: transcribed
    log('STT_NO_SPEECH');
    liveSamples.emit(sample(at));
    const stt = await points(HISTOGRAMS.stt_latency.name);
    const counts = Object.fromEntries(stt.map((p) => [p.attributes.outcome, (p.value as unknown as { count: number }).count]));
    expect(counts).toEqual({ no_speech: 2, transcribed: 1 });
  });
});
