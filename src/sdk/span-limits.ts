import type { SpanLimits } from '@opentelemetry/sdk-trace';

/**
 * Span limits from the standard variables (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, falling back to
 * OTEL_ATTRIBUTE_COUNT_LIMIT, and so on), the way the 2.x `sdk-trace-base` provider read them
 * itself. The `TracerProvider` of `@opentelemetry/sdk-trace` (both lines; 3.x has no other) reads
 * none and uses fixed defaults, so the wiring reads them here, from the env it was given. Unset
 * ones are left out: the SDK's defaults apply. The event count limit is not here: startTelemetry
 * sets it (its own option, default 10,000) whatever OTEL_SPAN_EVENT_COUNT_LIMIT says, as before.
 */
export function spanLimitsFromEnv(env: NodeJS.ProcessEnv): SpanLimits {
  const read = (...names: string[]): number | undefined => {
    for (const name of names) {
      const raw = env[name]?.trim();
      if (!raw) continue;
      const n = Number(raw);
      if (Number.isFinite(n) && n >= 0) return n;
    }
    return undefined;
  };
  const limits: SpanLimits = {};
  const set = (key: keyof SpanLimits, value: number | undefined): void => {
    if (value !== undefined) limits[key] = value;
  };
  set('attributeCountLimit', read('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'));
  set('attributeValueLengthLimit', read('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'));
  set('linkCountLimit', read('OTEL_SPAN_LINK_COUNT_LIMIT'));
  set('attributePerEventCountLimit', read('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'));
  set('attributePerLinkCountLimit', read('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'));
  return limits;
}
