import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { median, sleep, tempDir, yieldToLoop } from './harness.js';
import { startOurs, startPino } from './subjects.js';

/**
 * Item 4: event-loop delay while a burst of `events` events is logged and written.
 * `monitorEventLoopDelay` (1 ms resolution) runs from the first event until the last line is
 * on disk. The burst is logged `chunk` events per event-loop turn (an app logging flat out,
 * but not in one synchronous loop of 100k calls, which would block the loop by itself);
 * the same burst through pino is measured for reference.
 */

export interface LoopDelayOptions {
  events: number;
  chunk: number;
  repetitions: number;
}

export interface LoopDelayResult {
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  pino_loop_delay_p99_ms: number;
  pino_loop_delay_max_ms: number;
  burst_events: number;
}

const DATA = { from: 'openai', to: 'kokoro', reason: 'timeout', attempt: 2 };

async function burstOurs(opts: LoopDelayOptions, measure: boolean): Promise<{ p99: number; max: number }> {
  const tmp = tempDir('loop');
  const ours = startOurs(join(tmp.dir, 'logs'));
  const h = monitorEventLoopDelay({ resolution: 1 });
  try {
    await sleep(20);
    if (measure) h.enable();
    await ours.telemetry.voice.session(async (s) => {
      let done = 0;
      while (done < opts.events) {
        await s.tts({ text: 'hello', provider: 'openai' }, async () => {
          for (let k = 0; k < 10 && done < opts.events; k++) {
            const stop = Math.min(opts.events, done + opts.chunk);
            for (; done < stop; done++) s.logEvent('PROVIDER_SWITCH', DATA);
            await yieldToLoop();
          }
        });
      }
    });
    await ours.telemetry.forceFlush();
    h.disable();
    return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  } finally {
    await ours.shutdown();
    tmp.remove();
  }
}

async function burstPino(opts: LoopDelayOptions): Promise<{ p99: number; max: number }> {
  const tmp = tempDir('loop-pino');
  const p = startPino(join(tmp.dir, 'pino.log'));
  const h = monitorEventLoopDelay({ resolution: 1 });
  try {
    await sleep(20);
    h.enable();
    for (let done = 0; done < opts.events; ) {
      const stop = Math.min(opts.events, done + opts.chunk);
      for (; done < stop; done++) p.logger.info({ event_type: 'PROVIDER_SWITCH', session_id: 'conv_1', data: DATA });
      await yieldToLoop();
    }
    await p.close();
    h.disable();
    return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  } finally {
    tmp.remove();
  }
}

export async function measureLoopDelay(opts: LoopDelayOptions): Promise<LoopDelayResult> {
  await burstOurs({ ...opts, events: Math.max(1000, Math.floor(opts.events / 5)) }, false); // warm-up
  const ours: { p99: number; max: number }[] = [];
  const pino: { p99: number; max: number }[] = [];
  for (let r = 0; r < opts.repetitions; r++) {
    ours.push(await burstOurs(opts, true));
    pino.push(await burstPino(opts));
  }
  return {
    loop_delay_p99_ms: median(ours.map((x) => x.p99)),
    loop_delay_max_ms: median(ours.map((x) => x.max)),
    pino_loop_delay_p99_ms: median(pino.map((x) => x.p99)),
    pino_loop_delay_max_ms: median(pino.map((x) => x.max)),
    burst_events: opts.events,
  };
}
