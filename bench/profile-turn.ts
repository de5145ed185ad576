/**
 * Profiling driver for item 3c (not part of `npm run bench`): many whole turns of one subject,
 * as bench/turn-cost.ts runs them, for `node --cpu-prof`. See docs/performance.md.
 *   npx tsc -p tsconfig.bench.json && node --cpu-prof --cpu-prof-dir=/tmp/prof dist-bench/bench/profile-turn.js [turns] [ours|hand|raw|bare]
 */
import { join } from 'node:path';
import { tempDir, yieldToLoop } from './harness.js';
import { rawParentContext, startOurs, startRawOtel } from './subjects.js';
import { bareTurn, ourTurn, ourTurnByHand, rawTurn } from './turn-cost.js';

const turns = Number(process.argv[2] ?? 200_000);
const mode = process.argv[3] ?? 'ours';
const tmp = tempDir('profile-turn');
const ours = startOurs(join(tmp.dir, 'ours'), true);
const raw = startRawOtel();
const rawCtx = rawParentContext(raw);
let rawTurns = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
await ours.telemetry.voice.session(async (s) => {
  const one =
    mode === 'raw' ? () => rawTurn(raw.tracer, rawCtx, ++rawTurns) : mode === 'bare' ? bareTurn : mode === 'hand' ? () => ourTurnByHand(s) : () => ourTurn(s);
  for (let i = 0; i < turns; i++) {
    await one();
    if (i % 50 === 49) await yieldToLoop();
  }
});
await ours.telemetry.forceFlush();
await raw.provider.forceFlush();
const c = process.cpuUsage(c0);
const t1 = performance.now();
console.log(`${mode}: ${turns} turns: ${(((t1 - t0) * 1e3) / turns).toFixed(2)} µs/turn wall, ${((c.user + c.system) / turns).toFixed(2)} µs/turn CPU`);
await ours.shutdown();
await raw.shutdown();
tmp.remove();
