/**
 * Profiling aid (not part of `npm run bench`): the per-event cost of each step of emitEvent,
 * measured alone in tight loops (ns per call, best of 5). Helps decide where to optimise.
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/breakdown.js
 */
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { dataToAttributes } from '../src/events/attributes-codec.js';
import { isValidEventType } from '../src/events/catalog.js';
import type { EventRecord } from '../src/events/record.js';
import { prepareData } from '../src/events/sanitize.js';
import { MetricsDeriver } from '../src/metrics/derive.js';
import { systemClock } from '../src/time/clock.js';
import { formatTimestampUs, usToHrTime } from '../src/time/format.js';
import { formatLine } from '../src/sink/line-format.js';
import { fileNameFor } from '../src/config.js';

const DATA: Record<string, unknown> = { from: 'openai', to: 'kokoro', reason: 'timeout', attempt: 2, ok: true };
const N = 1_000_000;

function time(name: string, fn: (i: number) => unknown): void {
  let best = Infinity;
  let sink: unknown;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) sink = fn(i);
    best = Math.min(best, performance.now() - t0);
  }
  void sink;
  console.log(`${name.padEnd(44)} ${((best * 1e6) / N).toFixed(0).padStart(6)} ns`);
}

const provider = new TracerProvider({ spanLimits: { eventCountLimit: 10_000 } });
const tracer = provider.getTracer('x');
let span = tracer.startSpan('s', {}, ROOT_CONTEXT);
const attrs = dataToAttributes(DATA);
const record: EventRecord = { timestampUs: systemClock.nowUs(), eventType: 'PROVIDER_SWITCH', sessionId: 'conv_1_abc', data: DATA, turn: 3, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
const meter = new MeterProvider().getMeter('m');
const counter = meter.createCounter('c');
const deriver = new MetricsDeriver(() => undefined);
const set = new Set<string>(['bbbbbbbbbbbbbbbb']);

time('clock.nowUs', () => systemClock.nowUs());
time('isValidEventType (regex/known)', () => isValidEventType('PROVIDER_SWITCH'));
time('prepareData', () => prepareData(DATA, 'none'));
time('dataToAttributes', () => dataToAttributes(DATA));
time('usToHrTime', (i) => usToHrTime(1_763_000_000_000_000 + i));
time('span.addEvent(attrs, hrtime) (new span /1000)', (i) => {
  if (i % 1000 === 0) {
    span.end();
    span = tracer.startSpan('s', {}, ROOT_CONTEXT);
  }
  return span.addEvent('PROVIDER_SWITCH', attrs, [1_763_000_000, i]);
});
time('span.spanContext()', () => span.spanContext());
time('Set.has(spanId)', () => set.has(span.spanContext().spanId));
time('counter.add(1, {event_type})', () => counter.add(1, { event_type: 'PROVIDER_SWITCH' }));
time('deriver.push (no-pair event)', () => deriver.push(record));
time('formatTimestampUs', (i) => formatTimestampUs(1_763_000_000_000_000 + i));
time('formatLine', () => formatLine(record));
time('fileNameFor (daily)', (i) => fileNameFor(1_763_000_000_000_000 + i, 'daily'));
