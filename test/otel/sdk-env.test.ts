import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../../src/sdk/index.js';
import { tempDir } from '../helpers/harness.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { decodeSpans } from './otlp-json.js';

/**
 * The standard OTEL_* variables the 2.x SDK classes read themselves (sdk-trace-base's provider:
 * span limits; its BatchSpanProcessor: OTEL_BSP_*) and `@opentelemetry/sdk-trace`, which both
 * lines share, does not: startTelemetry reads them from its env, so they work on 2.x and 3.x alike.
 */
let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

let t: Telemetry | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

const start = (options: TelemetryOptions): Telemetry =>
  startTelemetry({ dir: tempDir('vme-sdk-env-'), metrics: false, register: false, handleExit: false, warn: () => undefined, ...options });

describe('OTEL_* SDK variables', () => {
  it('span limits: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', () => {
    const mem = new InMemorySpanExporter();
    t = start({
      otlp: false,
      spanProcessors: [new SimpleSpanProcessor({ exporter: mem })],
      env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '3', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '5', OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '2' },
    });
    const span = t.provider.getTracer('test').startSpan('limited');
    span.setAttributes({ a: '123456789', b: 1, c: 2, d: 3 });
    span.addEvent('e', { x: 1, y: 2, z: 3 });
    span.end();
    const [s] = mem.getFinishedSpans();
    expect(Object.keys(s!.attributes)).toHaveLength(3);
    expect(s!.attributes.a).toBe('12345');
    expect(Object.keys(s!.events[0]!.attributes!)).toHaveLength(2);
  });

  it('without them the SDK defaults stay (128 attributes, no length limit)', () => {
    const mem = new InMemorySpanExporter();
    t = start({ otlp: false, spanProcessors: [new SimpleSpanProcessor({ exporter: mem })], env: {} });
    const span = t.provider.getTracer('test').startSpan('unlimited');
    for (let i = 0; i < 200; i++) span.setAttribute(`k${i}`, 'v'.repeat(1000));
    span.end();
    const [s] = mem.getFinishedSpans();
    expect(Object.keys(s!.attributes)).toHaveLength(128);
    expect(s!.attributes.k0).toHaveLength(1000);
  });

  it('OTEL_BSP_SCHEDULE_DELAY and OTEL_BSP_MAX_EXPORT_BATCH_SIZE shape the OTLP span batches', async () => {
    receiver.requests.length = 0;
    t = start({ otlp: { endpoint: receiver.url }, env: { OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2' } });
    const tracer = t.provider.getTracer('test');
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    // no flush: only the 50 ms schedule sends them (the default 5 s would not within the wait)
    const until = Date.now() + 3000;
    while (decodeSpans(receiver.traces()).length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(decodeSpans(receiver.traces()).map((s) => s.name).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    const perRequest = receiver.requests.filter((r) => r.path === '/v1/traces').map((r) => decodeSpans([r.body]).length);
    expect(Math.max(...perRequest)).toBeLessThanOrEqual(2);
  });
});
