import { MeterProvider, type DataPoint } from '@opentelemetry/sdk-metrics';
import { TestReader } from './helpers/test-reader.js';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTOGRAMS, installVoiceInstruments, liveSamples, type MetricSample } from './helpers/lib.js';
import { makeHarness, type Harness } from './helpers/harness.js';

/**
 * A session derives its metrics off the voice call's path (metrics/deferred-derivation.ts):
 * its events are queued and derived on the next turn of the event loop, or at once when a
 * result is read. What must hold: nothing is derived on the caller's path, and every reader
 * (the session's and turns' metrics, a turn's stats after it ended, the OTel histograms at
 * collection, the stt_latency outcome) sees exactly what the synchronous derivation gave.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function harness(): Harness {
  const h = makeHarness();
  cleanups.push(() => h.cleanup());
  return h;
}

function samples(): MetricSample[] {
  const got: MetricSample[] = [];
  cleanups.push(liveSamples.add((s) => got.push(s)));
  return got;
}

describe('a session derives its metrics off the caller path', () => {
  it('the samples come after the call, and a read of the metrics derives what is queued first', async () => {
    const h = harness();
    const got = samples();
    const s = h.voice.startSession();
    await s.tts({ text: 'hi' }, (op) => {
      op.firstAudio();
      op.playbackStart();
      op.playbackEnd();
    });
    expect(got).toEqual([]); // queued: nothing derived on the voice call's path
    expect(s.metrics().metrics.ttfa?.count).toBe(1); // the read derives first
    expect(got.map((x) => x.metric)).toEqual(['ttfa', 'tts_playback']);
    s.end();
  });

  it('without a read, the next turn of the event loop derives them', async () => {
    const h = harness();
    const got = samples();
    const s = h.voice.startSession();
    await s.stt({}, () => 'hello');
    expect(got).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(got.map((x) => x.metric)).toEqual(['stt_latency']);
    s.end();
  });

  it('a turn that ends while its TTS still plays gets that TTS samples in its stats, as before', async () => {
    const h = harness();
    const s = h.voice.startSession();
    const turn = s.startTurn();
    let finish!: () => void;
    const playing = turn.tts({ text: 'hi' }, async (op) => {
      op.firstAudio();
      op.playbackStart();
      await new Promise<void>((r) => (finish = r));
      op.playbackEnd();
    });
    expect(turn.end().metrics.tts_playback).toBeUndefined(); // still playing: the turn ends with its last operation
    finish();
    await playing;
    // The turn has ended (its span with the TTS); its stats still got the TTS's samples.
    expect(turn.ended).toBe(true);
    const m = turn.metrics().metrics;
    expect(m.ttfa?.count).toBe(1);
    expect(m.tts_playback?.count).toBe(1);
    s.end();
  });

  it('the histograms collected right after the calls hold their samples, with the stt_latency outcome of each', async () => {
    const h = harness();
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const off = installVoiceInstruments(provider.getMeter('test'));
    cleanups.push(off, () => provider.shutdown());
    const s = h.voice.startSession();
    await s.stt({}, () => '');
    await s.stt({}, () => 'hello');
    await s.stt({}, () => null);
    s.logEvent('PROVIDER_SWITCH'); // the event logged last is not the end of any pair
    const { resourceMetrics } = await reader.collect(); // no event-loop turn in between: collection derives first
    const metric = resourceMetrics.scopeMetrics.flatMap((m) => m.metrics).find((m) => m.descriptor.name === HISTOGRAMS.stt_latency.name);
    const points = (metric?.dataPoints ?? []) as DataPoint<{ count: number }>[];
    expect(Object.fromEntries(points.map((p) => [p.attributes.outcome, p.value.count]))).toEqual({ no_speech: 2, transcribed: 1 });
    s.end();
  });
});
