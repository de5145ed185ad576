/**
 * Profiling aid for item 3c (not part of `npm run bench`): promises created per turn by each
 * subject of bench/turn-cost.ts (async_hooks `init` of type PROMISE). With AsyncLocalStorage in
 * use every promise runs the async hooks, so the count is a large part of a turn's cost.
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/count-promises.js
 */
import { createHook } from 'node:async_hooks';
import { join } from 'node:path';
import { tempDir, yieldToLoop } from './harness.js';
import { rawParentContext, startOurs, startRawOtel } from './subjects.js';
import { bareTurn, ourTurn, ourTurnByHand, rawTurn } from './turn-cost.js';

let promises = 0;
createHook({
  init: (_id, type) => {
    if (type === 'PROMISE') promises++;
  },
}).enable();
const tmp = tempDir('count-promises');
const ours = startOurs(join(tmp.dir, 'ours'), true);
const raw = startRawOtel();
const rawCtx = rawParentContext(raw);
let rawTurns = 0;
await ours.telemetry.voice.session(async (s) => {
  const subjects: [string, () => Promise<void>][] = [
    ['bare', bareTurn],
    ['raw OTel', () => rawTurn(raw.tracer, rawCtx, ++rawTurns)],
    ['ours, first chunks by hand', () => ourTurnByHand(s)],
    ['ours', () => ourTurn(s)],
  ];
  for (const [name, one] of subjects) {
    for (let i = 0; i < 100; i++) await one();
    await yieldToLoop();
    const before = promises;
    for (let i = 0; i < 1000; i++) await one();
    console.log(`${name}: ${((promises - before) / 1000).toFixed(1)} promises per turn`);
    await yieldToLoop();
  }
});
await ours.shutdown();
await raw.shutdown();
tmp.remove();
