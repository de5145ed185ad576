/**
 * Decoding what the OTLP/HTTP JSON exporters send (as the loopback receiver stored it):
 * flat lists of spans and metric data points, with attributes as plain objects.
 */
export type Attrs = Record<string, unknown>;

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  return v;
}

export function attrs(list: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of (list as KeyValue[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Nanoseconds (number, string or {low, high}) as a BigInt. */
export function nanos(v: unknown): bigint {
  if (typeof v === 'object' && v !== null && 'low' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high >>> 0) << 32n) + BigInt(low >>> 0);
  }
  return BigInt(String(v));
}

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Attrs;
  resource: Attrs;
  startNs: bigint;
  endNs: bigint;
  events: { name: string; timeNs: bigint; attributes: Attrs }[];
}

export function decodeSpans(bodies: unknown[]): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const body of bodies) {
    for (const rs of (body as { resourceSpans?: Record<string, unknown>[] }).resourceSpans ?? []) {
      const resource = attrs((rs.resource as { attributes?: unknown } | undefined)?.attributes);
      for (const ss of (rs.scopeSpans as Record<string, unknown>[] | undefined) ?? []) {
        for (const s of (ss.spans as Record<string, unknown>[] | undefined) ?? []) {
          out.push({
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) || undefined,
            name: s.name as string,
            attributes: attrs(s.attributes),
            resource,
            startNs: nanos(s.startTimeUnixNano),
            endNs: nanos(s.endTimeUnixNano),
            events: ((s.events as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
              name: e.name as string,
              timeNs: nanos(e.timeUnixNano),
              attributes: attrs(e.attributes),
            })),
          });
        }
      }
    }
  }
  return out;
}

export interface DecodedPoint {
  metric: string;
  unit: string;
  kind: 'histogram' | 'sum' | 'gauge';
  attributes: Attrs;
  resource: Attrs;
  /** Histogram sum of the recorded values. */
  sum?: number;
  /** Histogram count, or the sum / gauge value. */
  value: number;
  explicitBounds?: number[];
  bucketCounts?: number[];
  isMonotonic?: boolean;
}

/** Data points of one metrics request (cumulative: the last request holds the totals). */
export function decodeMetrics(body: unknown): DecodedPoint[] {
  const out: DecodedPoint[] = [];
  for (const rm of (body as { resourceMetrics?: Record<string, unknown>[] }).resourceMetrics ?? []) {
    const resource = attrs((rm.resource as { attributes?: unknown } | undefined)?.attributes);
    for (const sm of (rm.scopeMetrics as Record<string, unknown>[] | undefined) ?? []) {
      for (const m of (sm.metrics as Record<string, unknown>[] | undefined) ?? []) {
        const name = m.name as string;
        const unit = (m.unit as string | undefined) ?? '';
        const h = m.histogram as { dataPoints: Record<string, unknown>[] } | undefined;
        const s = m.sum as { dataPoints: Record<string, unknown>[]; isMonotonic?: boolean } | undefined;
        const g = m.gauge as { dataPoints: Record<string, unknown>[] } | undefined;
        for (const p of h?.dataPoints ?? []) {
          out.push({
            metric: name,
            unit,
            kind: 'histogram',
            attributes: attrs(p.attributes),
            resource,
            value: Number(p.count),
            sum: Number(p.sum ?? 0),
            explicitBounds: (p.explicitBounds as number[]).map(Number),
            bucketCounts: (p.bucketCounts as unknown[]).map(Number),
          });
        }
        for (const p of s?.dataPoints ?? []) {
          const value = Number(p.asDouble ?? p.asInt ?? 0);
          out.push({ metric: name, unit, kind: 'sum', attributes: attrs(p.attributes), resource, value, isMonotonic: !!s?.isMonotonic });
        }
        for (const p of g?.dataPoints ?? []) {
          out.push({ metric: name, unit, kind: 'gauge', attributes: attrs(p.attributes), resource, value: Number(p.asDouble ?? p.asInt ?? 0) });
        }
      }
    }
  }
  return out;
}

export function total(points: DecodedPoint[], metric: string, filter: (a: Attrs) => boolean = () => true): number {
  return points.filter((p) => p.metric === metric && filter(p.attributes)).reduce((a, p) => a + p.value, 0);
}
