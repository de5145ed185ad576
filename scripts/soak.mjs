#!/usr/bin/env node
// Soak: one accelerated conversation with many turns through the built package, with an
// injected clock (8 hours of conversation in seconds). Prints one JSON line: heap after
// each tenth of the run (after GC), events logged, and lines on disk.
// Usage: node --expose-gc scripts/soak.mjs [turns=10000] [dir]   (a temporary dir is removed afterwards)
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const turns = Number(process.argv[2] ?? 10_000);
const temporary = process.argv[3] === undefined;
const dir = process.argv[3] ?? join(mkdtempSync(join(tmpdir(), 'vme-soak-')), 'logs');
const { ManualClock } = await import('../dist/index.js');
const { startTelemetry } = await import('../dist/sdk/index.js');
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0) * 1000);
const telemetry = startTelemetry({ dir, clock, handleExit: false, register: false });
const session = telemetry.voice.startSession({ id: 'soak' });
const msPerTurn = (8 * 3600 * 1000) / turns;
const heapMb = [];
let events = 1;
for (let t = 0; t < turns; t++) {
  await session.record({ transport: 'local' }, async () => clock.advanceMs(msPerTurn * 0.4));
  await session.stt({ provider: 'whisper' }, async () => {
    clock.advanceMs(msPerTurn * 0.1);
    return 'a sentence the user said';
  });
  await session.tts({ text: 'a reply', provider: 'openai' }, async (op) => {
    clock.advanceMs(msPerTurn * 0.1);
    op.firstAudio();
    await op.playback(async () => clock.advanceMs(msPerTurn * 0.4));
  });
  events += 10;
  if ((t + 1) % Math.ceil(turns / 10) === 0) {
    await telemetry.forceFlush();
    global.gc();
    heapMb.push(Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10);
  }
}
session.end();
events += 1;
await telemetry.shutdown();
let lines = 0;
for (const f of readdirSync(dir)) lines += readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
const hours = (clock.nowUs() - Date.UTC(2026, 0, 5, 9, 0, 0) * 1000) / 3.6e9;
if (temporary) rmSync(join(dir, '..'), { recursive: true, force: true });
console.log(JSON.stringify({ turns, hours: Math.round(hours * 100) / 100, events, lines, heapMb, dir: temporary ? '(removed)' : dir }));
