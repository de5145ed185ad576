/**
 * Profiling aid (not part of `npm run bench`): item 4's burst, with what made each long
 * event-loop tick. Prints, per repetition, the ticks of a 1 ms interval that took longer than
 * 1.7 ms and the GC pauses (kind 1 scavenge, 4 mark-compact, 8 incremental) with their start
 * times: a long tick with no GC next to it is our own code. See docs/performance.md.
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/loop-ticks.js [events]
 */
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { sleep, tempDir, yieldToLoop } from './harness.js';
import { startOurs } from './subjects.js';

const events = Number(process.argv[2] ?? 100_000);
const DATA = { from: 'openai', to: 'kokoro', reason: 'timeout', attempt: 2 };
let gcs: PerformanceEntry[] = [];
new PerformanceObserver((list) => gcs.push(...list.getEntries())).observe({ entryTypes: ['gc'] });

for (let rep = 0; rep < 4; rep++) {
  const tmp = tempDir('loop-ticks');
  const ours = startOurs(join(tmp.dir, 'logs'));
  const h = monitorEventLoopDelay({ resolution: 1 });
  await sleep(20);
  h.enable();
  const t0 = performance.now();
  gcs = [];
  const ticks: [at: number, ms: number][] = [];
  let last = t0;
  const iv = setInterval(() => {
    const now = performance.now();
    ticks.push([last - t0, now - last]);
    last = now;
  }, 1);
  await ours.telemetry.voice.session(async (s) => {
    let done = 0;
    while (done < events) {
      await s.tts({ text: 'hello', provider: 'openai' }, async () => {
        for (let k = 0; k < 10 && done < events; k++) {
          const stop = Math.min(events, done + 100);
          for (; done < stop; done++) s.logEvent('PROVIDER_SWITCH', DATA);
          await yieldToLoop();
        }
      });
    }
  });
  await ours.telemetry.forceFlush();
  h.disable();
  clearInterval(iv);
  await sleep(5);
  const long = ticks.filter(([, ms]) => ms > 1.7).map(([at, ms]) => `${at.toFixed(1)}+${ms.toFixed(2)}`);
  const gc = gcs
    .filter((e) => e.startTime >= t0)
    .map((e) => `${(e.startTime - t0).toFixed(1)}:${e.duration.toFixed(2)}/${(e as unknown as { detail?: { kind?: number } }).detail?.kind}`);
  const label = rep === 0 ? 'warm-up' : `rep ${rep}`;
  console.log(`${label}: ${Math.round(performance.now() - t0)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms, max ${(h.max / 1e6).toFixed(2)} ms`);
  console.log(`  long ticks (start+ms): ${long.join(' ') || 'none'}`);
  console.log(`  gc (start:ms/kind):   ${gc.join(' ')}`);
  await ours.shutdown();
  tmp.remove();
}
