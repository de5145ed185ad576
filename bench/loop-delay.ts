import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuSnapshot, othersCpu } from './cpu-account.js';
import { median, sleep, tempDir, yieldToLoop } from './harness.js';
import { startOurs, startPino } from './subjects.js';

/**
 * Item 4: event-loop delay while a burst of `events` events is logged and written.
 * `monitorEventLoopDelay` (1 ms resolution) runs from the first event until the last line is
 * on disk. The burst is logged `chunk` events per event-loop turn (an app logging flat out,
 * but not in one synchronous loop of 100k calls, which would block the loop by itself);
 * the same burst through pino is measured for reference.
 *
 * A 1 ms loop-delay target means nothing while another process competes for the core (issue
 * 14 item 7): each repetition notes the CPU other processes used while it ran, and the target
 * is judged on the repetitions during which they used less than QUIET_OTHERS_CORES (the other
 * core of a 2-core machine was free). When none was, up to `repetitions` more are tried.
 */

/** Other processes' average CPU (in cores) below which a repetition counts as quiet. */
export const QUIET_OTHERS_CORES = 0.25;

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
  /** Medians over the quiet repetitions (NaN when there was none; undefined where /proc is missing). */
  loop_delay_quiet_p99_ms: number;
  loop_delay_quiet_max_ms: number;
  loop_delay_quiet_reps: number;
  loop_delay_reps: number;
  /** Other processes' CPU (cores) during each repetition of ours. */
  loop_delay_others_cores: number[];
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
  const ours: { p99: number; max: number; others: number | undefined }[] = [];
  const pino: { p99: number; max: number }[] = [];
  const quiet = (): typeof ours => ours.filter((o) => o.others === undefined || o.others < QUIET_OTHERS_CORES);
  for (let r = 0; r < opts.repetitions || (quiet().length === 0 && r < 2 * opts.repetitions); r++) {
    const a = cpuSnapshot();
    const o = await burstOurs(opts, true);
    ours.push({ ...o, others: othersCpu(a, cpuSnapshot())?.others_cores });
    pino.push(await burstPino(opts));
  }
  const q = quiet();
  return {
    loop_delay_quiet_p99_ms: median(q.map((x) => x.p99)),
    loop_delay_quiet_max_ms: median(q.map((x) => x.max)),
    loop_delay_quiet_reps: q.length,
    loop_delay_reps: ours.length,
    loop_delay_others_cores: ours.map((x) => x.others ?? Number.NaN),
    loop_delay_p99_ms: median(ours.map((x) => x.p99)),
    loop_delay_max_ms: median(ours.map((x) => x.max)),
    pino_loop_delay_p99_ms: median(pino.map((x) => x.p99)),
    pino_loop_delay_max_ms: median(pino.map((x) => x.max)),
    burst_events: opts.events,
  };
}
