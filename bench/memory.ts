import { join } from 'node:path';
import { gc, tempDir, yieldToLoop } from './harness.js';
import { startOurs } from './subjects.js';

/**
 * Item 5: RSS growth after `events` events in ONE long session (memory must not grow with
 * session length). The session is a real conversation loop: each turn is a recording (2
 * events), an STT call (3) and a TTS reply (5), so turns, operation spans, metric pairs,
 * histograms and the session span's event list all take part. RSS is read after a warm-up
 * (and a full GC when `--expose-gc` is on) and again after the last line is on disk and a GC;
 * the peak during the run is reported too (it includes lines waiting for the writer).
 * Run in a fresh child process by the bench so other items do not blur the numbers.
 */

export interface MemoryOptions {
  events: number;
  warmupEvents: number;
  /** Turns between event-loop turns. */
  turnsPerYield: number;
}

export interface MemoryResult {
  rss_growth_mb: number;
  rss_peak_growth_mb: number;
  heap_growth_mb: number;
  memory_events: number;
  memory_gc_exposed: boolean;
}

const EVENTS_PER_TURN = 10;
const MB = 1024 * 1024;

export async function measureMemory(opts: MemoryOptions): Promise<MemoryResult> {
  const tmp = tempDir('memory');
  const ours = startOurs(join(tmp.dir, 'logs'));
  const session = ours.telemetry.voice.startSession();
  let peak = 0;

  const turns = async (n: number): Promise<void> => {
    for (let t = 0; t < n; t++) {
      void session.record({ transport: 'local' }, () => undefined);
      void session.stt({ provider: 'whisper', model: 'base' }, () => 'what is the weather like');
      void session.tts({ text: 'It will be sunny tomorrow.', provider: 'openai', voice: 'alloy' }, (op) => {
        op.firstAudio();
        op.playbackStart();
        op.playbackEnd();
      });
      if (t % opts.turnsPerYield === opts.turnsPerYield - 1) {
        await yieldToLoop();
        const rss = process.memoryUsage.rss();
        if (rss > peak) peak = rss;
      }
    }
  };

  try {
    await turns(Math.ceil(opts.warmupEvents / EVENTS_PER_TURN));
    await ours.telemetry.forceFlush();
    gc();
    const before = process.memoryUsage();
    peak = before.rss;
    await turns(Math.ceil(opts.events / EVENTS_PER_TURN));
    await ours.telemetry.forceFlush();
    gc();
    const after = process.memoryUsage();
    const sessionMetrics = session.end();
    if ((sessionMetrics.metrics.ttfa?.count ?? 0) === 0) throw new Error('memory run produced no TTFA samples');
    return {
      rss_growth_mb: (after.rss - before.rss) / MB,
      rss_peak_growth_mb: (Math.max(peak, after.rss) - before.rss) / MB,
      heap_growth_mb: (after.heapUsed - before.heapUsed) / MB,
      memory_events: Math.ceil(opts.events / EVENTS_PER_TURN) * EVENTS_PER_TURN,
      memory_gc_exposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    };
  } finally {
    await ours.shutdown();
    tmp.remove();
  }
}
