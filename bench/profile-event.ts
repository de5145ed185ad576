/**
 * Profiling driver (not part of `npm run bench`): logs many events on open operation spans
 * through the full pipeline, for `node --cpu-prof`. See docs/performance.md.
 *   npx tsc -p tsconfig.bench.json && node --cpu-prof --cpu-prof-dir=/tmp/prof dist-bench/bench/profile-event.js [events] [ops]
 */
import { join } from 'node:path';
import { tempDir, yieldToLoop } from './harness.js';
import { startOurs } from './subjects.js';

const events = Number(process.argv[2] ?? 1_000_000);
const mode = process.argv[3] ?? 'events';
const tmp = tempDir('profile');
const ours = startOurs(join(tmp.dir, 'ours'));
const DATA = { from: 'openai', to: 'kokoro', reason: 'timeout', attempt: 2, ok: true };
const t0 = performance.now();
await ours.telemetry.voice.session(async (s) => {
  if (mode === 'ops') {
    for (let i = 0; i < events / 5; i++) {
      await s.tts({ text: 'hello', provider: 'openai', voice: 'alloy' }, (op) => {
        op.firstAudio();
        op.playbackStart();
        op.playbackEnd();
      });
      if (i % 200 === 0) await yieldToLoop();
    }
    return;
  }
  for (let done = 0; done < events; done += 1000) {
    await s.tts({ text: 'hello', provider: 'openai', voice: 'alloy' }, async () => {
      for (let i = 0; i < 1000; i++) s.logEvent('PROVIDER_SWITCH', DATA);
    });
    await yieldToLoop();
  }
});
const t1 = performance.now();
await ours.shutdown();
const t2 = performance.now();
console.log(`${mode}: ${events} events: log ${((t1 - t0) * 1e6 / events).toFixed(0)} ns/event, flush ${(t2 - t1).toFixed(0)} ms, total ${(t2 - t0).toFixed(0)} ms`);
tmp.remove();
