import { MeterProvider, type DataPoint } from '@opentelemetry/sdk-metrics';
import { TestReader } from './helpers/test-reader.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { HISTOGRAMS, installVoiceInstruments, liveSamples, MAX_QUEUED, MetricsDeriver, type MetricSample } from './helpers/lib.js';
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

  it('a fault in the derivation, reported through a diag logger that throws too, stops neither the app nor later derivations', async () => {
    const h = harness();
    const got = samples();
    let warned = 0;
    diag.setLogger(
      { verbose: () => {}, debug: () => {}, info: () => {}, error: () => {}, warn: () => {
        warned++;
        throw new Error('diag logger down');
      } },
      DiagLogLevel.WARN,
    );
    cleanups.push(() => diag.disable());
    const push = MetricsDeriver.prototype.push;
    let failOnce = true;
    const spy = vi.spyOn(MetricsDeriver.prototype, 'push').mockImplementation(function (this: MetricsDeriver, ev) {
      if (failOnce && ev.eventType === 'STT_COMPLETE') {
        failOnce = false;
        throw new Error('derivation fault');
      }
      return push.call(this, ev);
    });
    cleanups.push(() => spy.mockRestore());
    const s = h.voice.startSession();
    await s.stt({}, () => 'one');
    await new Promise((r) => setImmediate(r)); // derived here, where nothing would catch a throw
    expect(warned).toBe(1);
    await s.stt({}, () => 'two');
    await new Promise((r) => setImmediate(r));
    // the first pair was lost to the fault; the session's derivation goes on
    expect(got.map((x) => x.metric)).toEqual(['stt_latency']);
    expect(s.metrics().metrics.stt_latency?.count).toBe(1);
    s.end();
  });

  it('an app that logs without giving the event loop a turn holds at most MAX_QUEUED queued items', () => {
    const h = harness();
    const got = samples();
    const s = h.voice.startSession();
    const pairs = MAX_QUEUED; // 2 events each: the queue passes its bound halfway
    for (let i = 0; i < pairs; i++) {
      s.logEvent('STT_START');
      s.logEvent('STT_COMPLETE', { text: 'x' });
    }
    // no event-loop turn and no read yet: each time the queue reached its bound it was derived
    // at once, so what is still queued is less than the bound
    expect(got.length).toBeGreaterThan(pairs - MAX_QUEUED / 2);
    expect(s.metrics().metrics.stt_latency?.count).toBe(pairs);
    s.end();
  });
});
