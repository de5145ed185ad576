import { context, propagation, trace, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * Makes `provider` the global tracer provider with AsyncLocalStorage context and W3C trace
 * context + baggage propagation: what `NodeTracerProvider.register()` did in the 2.x line.
 * `@opentelemetry/sdk-trace-node` has no 3.x, so the provider is the plain `TracerProvider` of
 * `@opentelemetry/sdk-trace` (2.9+ and 3.x) and its registration is done here, the same on both
 * lines. Like the SDK's, a second registration leaves the first in place (the API says so via diag).
 */
export function registerTracerProvider(provider: TracerProvider): void {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}
