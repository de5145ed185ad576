import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../../src/sdk/index.js';
import { tempDir } from '../helpers/harness.js';

/**
 * startTelemetry() registers its provider as `NodeTracerProvider.register()` did in the 2.x line
 * (`@opentelemetry/sdk-trace-node` has no 3.x; sdk/register.ts does it on both lines): the global
 * tracer provider, an AsyncLocalStorage context manager and W3C trace-context + baggage
 * propagation. An app's own spans and outgoing requests depend on all three.
 */
let t: Telemetry | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
});

const start = (register?: boolean): Telemetry =>
  startTelemetry({ dir: tempDir('vme-register-'), otlp: false, metrics: false, handleExit: false, env: {}, ...(register === false ? { register } : {}) });

describe('startTelemetry registers the provider globally', () => {
  it('global tracer, context kept across await, traceparent and baggage injected', async () => {
    t = start();
    const tracer = trace.getTracer('app');
    const outer = tracer.startSpan('outer');
    expect(outer.isRecording(), 'the global provider is ours, not the no-op').toBe(true);
    const ctx = propagation.setBaggage(trace.setSpan(context.active(), outer), propagation.createBaggage({ user: { value: 'u1' } }));
    const seen = await context.with(ctx, async () => {
      await new Promise((r) => setTimeout(r, 5)); // AsyncLocalStorage carries the context over the await
      const inner = tracer.startSpan('inner');
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      inner.end();
      return { inner: inner as unknown as ReadableSpan, carrier };
    });
    outer.end();
    const o = outer.spanContext();
    expect(seen.inner.parentSpanContext?.spanId).toBe(o.spanId);
    expect(seen.inner.spanContext().traceId).toBe(o.traceId);
    expect(seen.carrier.traceparent).toBe(`00-${o.traceId}-${o.spanId}-01`);
    expect(seen.carrier.baggage).toBe('user=u1');
  });

  it('register: false leaves the globals to the app', async () => {
    t = start(false);
    expect(trace.getTracer('app').startSpan('x').isRecording()).toBe(false);
    const own = t.provider.getTracer('app').startSpan('y');
    expect(own.isRecording()).toBe(true);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, own), carrier);
    expect(carrier).toEqual({});
    own.end();
  });
});
