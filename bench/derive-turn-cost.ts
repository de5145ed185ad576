/**
 * Micro-bench of the derivation's share of item 3c (not part of `npm run bench`): one voice
 * turn's 14 events (as bench/turn-cost.ts logs them, span ids and turn numbers included)
 * pushed into a MetricsDeriver whose listener does what a session's does (its stats, the
 * turn's stats, a queue for the histograms), and each operation's span closed.
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/derive-turn-cost.js [turns] [reps]
 */
import { randomBytes } from 'node:crypto';
import type { EventRecord } from '../src/events/record.js';
import { MetricsDeriver, StatsAccumulator, type MetricSample } from '../src/metrics/derive.js';
import { median } from './harness.js';

const SESSION = 'conv_1796000000000_abcdef';
const TRACE = randomBytes(16).toString('hex');
const ops = { recording: ['RECORDING_START', 'RECORDING_END'], stt: ['STT_REQUEST', 'STT_START', 'STT_COMPLETE'], llm: ['LLM_REQUEST', 'LLM_START', 'LLM_FIRST_TOKEN', 'LLM_COMPLETE'], tts: ['TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'TTS_PLAYBACK_END'] } as const;
const DATA: Record<string, Record<string, unknown>> = {
  RECORDING_START: { transport: 'local' },
  RECORDING_END: { duration: 0.02 },
  STT_START: { provider: 'whisper' },
  STT_COMPLETE: { text: 'what is the weather tomorrow', text_length: 28 },
  LLM_START: { provider: 'openai', model: 'gpt-4o-mini' },
  LLM_COMPLETE: { text: 'It w1 w2', text_length: 8 },
  TTS_REQUEST: { text_length: 8 },
  TTS_START: { message: 'It w1 w2', provider: 'openai', voice: 'alloy', characters: 8 },
};
const NO_DATA = Object.freeze({});

let sink = 0;
const sessionStats = new StatsAccumulator();
let turnStats = new StatsAccumulator();
const queue: MetricSample[] = [];
const deriver = new MetricsDeriver((s) => {
  sessionStats.add(s);
  turnStats.add(s);
  queue.push(s);
});

/** Span ids made beforehand (only the derivation is timed), reused after 4,096 operations. */
const SPAN_IDS = Array.from({ length: 4096 }, () => randomBytes(8).toString('hex'));
let spanNo = 0;
let us = 1_796_000_000_000_000;
let turnNo = 0;
function turn(): void {
  turnNo++;
  turnStats = new StatsAccumulator();
  for (const [kind, types] of Object.entries(ops)) {
    const spanId = SPAN_IDS[spanNo++ % SPAN_IDS.length]!;
    for (const eventType of types) {
      const record: EventRecord = { timestampUs: (us += 7), eventType, sessionId: SESSION, data: DATA[eventType] ?? NO_DATA, turn: turnNo, traceId: TRACE, spanId };
      deriver.push(record);
    }
    deriver.closeSpan(SESSION, spanId, kind as keyof typeof ops);
  }
  if (queue.length > 1000) {
    sink += queue.length;
    queue.length = 0;
  }
}

const turns = Number(process.argv[2] ?? 20_000);
const reps = Number(process.argv[3] ?? 9);
for (let i = 0; i < turns; i++) turn(); // warm-up
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < reps; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < turns; i++) turn();
  wall.push(((performance.now() - t0) * 1e6) / turns);
  const c = process.cpuUsage(c0);
  cpu.push(((c.user + c.system) * 1e3) / turns);
}
console.log(`derivation of one turn (14 events, 4 spans closed), median of ${reps}: ${(median(wall) / 1e3).toFixed(2)} µs (CPU ${(median(cpu) / 1e3).toFixed(2)} µs)`);
if (sink === 0) throw new Error('bench: no samples');
