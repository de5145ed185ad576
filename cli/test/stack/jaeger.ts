/** Jaeger's HTTP query API (/api/...), as the stack tests read it. Times are microseconds. */
export interface JaegerKeyValue {
  key: string;
  type: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[];
  logs: { timestamp: number; fields: JaegerKeyValue[] }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerKeyValue[] }>;
}

export async function jaegerGet<T>(url: string): Promise<{ status: number; data: T; errors?: unknown }> {
  const res = await fetch(url);
  const body = (await res.json()) as { data: T; errors?: unknown };
  return { status: res.status, data: body.data, errors: body.errors };
}

/** One trace by id, or undefined while Jaeger does not have it. */
export async function jaegerTrace(base: string, traceId: string): Promise<JaegerTrace | undefined> {
  const r = await jaegerGet<JaegerTrace[] | null>(`${base}/api/traces/${traceId}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET /api/traces/${traceId}: HTTP ${r.status} ${JSON.stringify(r.errors)}`);
  return r.data?.[0];
}

export function tagMap(tags: JaegerKeyValue[]): Map<string, unknown> {
  return new Map(tags.map((t) => [t.key, t.value]));
}

/** The parent span id (CHILD_OF reference), if any. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/** An OTLP attribute value as Jaeger stores it as a tag (arrays become their JSON text). */
export function asTagValue(v: unknown): string {
  return Array.isArray(v) ? JSON.stringify(v) : String(v);
}
