import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_PARENTS, deriveMetrics, parseTimestampUs } from '../../../test/helpers/lib.js';
import { HISTOGRAMS } from '../../../test/helpers/lib.js';
import { lineToRecord, readLines, tempDir } from '../../../test/helpers/harness.js';
import { DASHBOARD_PATH, dashboardQueries, expandGrafanaVariables } from '../../../test/otel/dashboard.js';
import { decodeSpans, type DecodedSpan } from '../../../test/otel/otlp-json.js';
import { asTagValue, jaegerGet, jaegerTrace, parentOf, tagMap, type JaegerTrace } from './jaeger.js';
import { startOtlpTee, statusBySpan, type OtlpTee } from './otlp-tee.js';
import { eventually, stackSkipReason, startStack, type Stack } from './stack.js';

/**
 * The demo binary against the real stack: collector (our otel-collector.yaml) -> Jaeger 2, and
 * Prometheus (our prometheus.yml) scraping the collector's prometheus exporter. What Jaeger and
 * Prometheus answer through their HTTP APIs must be the conversations of the JSONL file.
 *
 * The demo runs at --speed 2 (about 11 s) so that Prometheus, at prometheus.yml's 5 s scrape
 * interval, sees the histograms move between two scrapes: rate() needs that.
 */
const skip = stackSkipReason('test/stack/demo.test.ts');
const bin = resolve('cli/dist/main.js');
const run = promisify(execFile);
const SERVICE = 'voicemode-demo';

let stack: Stack;
let tee: OtlpTee;
let dir = '';
let lines: Record<string, unknown>[] = [];
let sent: DecodedSpan[] = [];
let sentStatus = new Map<string, number>();
const traces = new Map<string, JaegerTrace>();
let windowStartS = 0;
let demoEndS = 0;

interface PromResult {
  status: string;
  error?: string;
  data: { result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] };
}
const prom = async (path: string, params: Record<string, string>): Promise<PromResult> =>
  (await (await fetch(`${stack.prometheus}${path}?${new URLSearchParams(params)}`)).json()) as PromResult;

beforeAll(async () => {
  if (skip) return;
  stack = await startStack();
  tee = await startOtlpTee(stack.otlpHttp);
  dir = join(tempDir('vme-stack-demo-'), 'logs');
  windowStartS = Date.now() / 1000 - 1;
  await run(process.execPath, [bin, 'demo', '--dir', dir, '--sessions', '3', '--turns', '4', '--speed', '2', '--seed', '5', '--error-rate', '0.3', '--barge-in-rate', '0.9'], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: tee.url, OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_SERVICE_NAME: '' },
    encoding: 'utf8',
  });
  demoEndS = Date.now() / 1000;
  lines = readLines(dir);
  sent = decodeSpans(tee.traces());
  sentStatus = statusBySpan(tee.traces());
  // Jaeger has a trace once the collector's batch (1 s) and Jaeger's own batch have passed.
  const traceIds = new Set(sent.map((s) => s.traceId));
  await eventually(
    'every span in Jaeger',
    async () => {
      for (const id of traceIds) {
        const t = await jaegerTrace(stack.jaeger, id);
        if (t) traces.set(id, t);
      }
      const stored = [...traces.values()].reduce((a, t) => a + t.spans.length, 0);
      return stored === sent.length ? true : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- collector\n${stack.log('collector')}\n--- jaeger\n${stack.log('jaeger')}`);
  });
}, 120_000);

afterAll(async () => {
  await tee?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('the demo through the real collector into Jaeger', () => {
  it('lists the service in /api/services', async () => {
    const r = await jaegerGet<string[]>(`${stack.jaeger}/api/services`);
    expect(r.status).toBe(200);
    expect(r.data).toContain(SERVICE);
  });

  it("returns every session's trace_id from the JSONL, with every span the app sent and a tree the table allows", () => {
    const sessionTraces = new Set(lines.map((l) => l.trace_id as string));
    expect(new Set(lines.map((l) => l.session_id)).size).toBe(3);
    expect(sessionTraces.size).toBe(3);
    for (const id of sessionTraces) expect(traces.has(id), `trace ${id} in Jaeger`).toBe(true);

    const sentById = new Map(sent.map((s) => [s.spanId, s]));
    for (const [id, trace] of traces) {
      expect(trace.traceID).toBe(id);
      const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
      const roots = trace.spans.filter((s) => !parentOf(s));
      expect(roots.length, `one root in ${id}`).toBe(1);
      for (const s of trace.spans) {
        expect(trace.processes[s.processID]!.serviceName).toBe(SERVICE);
        const mine = sentById.get(s.spanID);
        expect(mine, `span ${s.operationName} ${s.spanID} was sent by the app`).toBeDefined();
        expect(s.operationName).toBe(mine!.name);
        expect(parentOf(s)).toBe(mine!.parentSpanId);
        const parent = parentOf(s) ? byId.get(parentOf(s)!) : undefined;
        if (parentOf(s)) expect(parent, `parent of ${s.operationName} stored`).toBeDefined();
        expect(ALLOWED_PARENTS[s.operationName], `${s.operationName} is in ALLOWED_PARENTS`).toBeDefined();
        expect(ALLOWED_PARENTS[s.operationName], `${s.operationName} under ${parent?.operationName ?? 'nothing'}`).toContain(
          parent ? parent.operationName : null,
        );
        // Microsecond start and duration as the app sent them.
        expect(BigInt(s.startTime)).toBe(mine!.startNs / 1000n);
      }
    }
    // Every operation kind the table knows under a turn appears (the demo runs all of them).
    const names = new Set([...traces.values()].flatMap((t) => t.spans.map((s) => s.operationName)));
    for (const [name, parents] of Object.entries(ALLOWED_PARENTS)) {
      if (parents.some((p) => p !== null)) expect(names, name).toContain(name);
    }
  });

  it('has every JSONL line as a log on the span named by its span_id, at the same microsecond', () => {
    expect(lines.length).toBeGreaterThan(50);
    const spans = new Map([...traces.values()].flatMap((t) => t.spans.map((s) => [s.spanID, s] as const)));
    const totalLogs = [...spans.values()].reduce((a, s) => a + s.logs.length, 0);
    expect(totalLogs).toBe(lines.length);
    for (const l of lines) {
      const span = spans.get(l.span_id as string);
      expect(span, `span ${l.span_id} of ${l.event_type}`).toBeDefined();
      expect(span!.traceID).toBe(l.trace_id);
      const us = parseTimestampUs(l.timestamp as string);
      const match = span!.logs.filter((g) => tagMap(g.fields).get('event') === l.event_type && g.timestamp === us);
      expect(match.length, `${l.event_type} at ${l.timestamp} on ${span!.operationName}`).toBe(1);
    }
  });

  it('stores every attribute the app put on a span (session.id, every gen_ai.*), with its value', () => {
    const jaegerSpans = new Map([...traces.values()].flatMap((t) => t.spans.map((s) => [s.spanID, s] as const)));
    let genAi = 0;
    for (const s of sent) {
      const tags = tagMap(jaegerSpans.get(s.spanId)!.tags);
      for (const [key, value] of Object.entries(s.attributes)) {
        expect(tags.has(key), `${s.name}: ${key}`).toBe(true);
        expect(asTagValue(tags.get(key)), `${s.name}: ${key}`).toBe(asTagValue(value));
        if (key.startsWith('gen_ai.')) genAi++;
      }
    }
    // session.id on every session and turn span, equal to the JSONL's session_id.
    const sessionOf = new Map(lines.map((l) => [l.trace_id as string, l.session_id as string]));
    for (const t of traces.values()) {
      for (const s of t.spans.filter((x) => x.operationName === 'voice.session' || x.operationName === 'voice.turn')) {
        expect(tagMap(s.tags).get('session.id'), s.operationName).toBe(sessionOf.get(t.traceID));
      }
    }
    console.info(`stack demo: ${sent.length} spans, ${genAi} gen_ai.* attribute values compared`);
  });

  it('marks with error status exactly the spans of the operations the demo failed', () => {
    const failed = new Set(lines.filter((l) => /_ERROR$/.test(l.event_type as string)).map((l) => l.span_id as string));
    expect(failed.size, 'the demo failed some operations (--error-rate 0.3)').toBeGreaterThan(0);
    for (const t of traces.values()) {
      for (const s of t.spans) {
        const tags = tagMap(s.tags);
        const isError = tags.get('otel.status_code') === 'ERROR';
        expect(isError, `${s.operationName} ${s.spanID} error status`).toBe(sentStatus.get(s.spanID) === 2);
        if (failed.has(s.spanID)) {
          expect(isError, `${s.operationName} failed`).toBe(true);
          expect(tags.get('error'), `${s.operationName} error tag`).toBe(true);
        }
      }
    }
  });
});

describe.skipIf(skip)('Prometheus scraping the real collector: the dashboard queries', () => {
  const queries = skip ? [] : dashboardQueries();

  it('counts in every histogram exactly the pairs derived from the JSONL', async () => {
    const { samples } = deriveMetrics(lines.map(lineToRecord));
    for (const [metric, { name }] of Object.entries(HISTOGRAMS)) {
      const want = samples.filter((s) => s.metric === metric).length;
      const series = `${name.replaceAll('.', '_')}_seconds_count`;
      const got = await eventually(`${series} = ${want}`, async () => {
        const r = await prom('/api/v1/query', { query: `sum(${series})` });
        // A histogram nothing was recorded in has no series at all (sum() of nothing is empty).
        const v = r.data.result.length === 0 ? 0 : Number(r.data.result[0]!.value![1]);
        return v === want ? v : undefined;
      }, 20_000).catch(async (err: Error) => {
        const r = await prom('/api/v1/query', { query: `sum(${series})` });
        throw new Error(`${err.message}: Prometheus has ${JSON.stringify(r.data.result)}`);
      });
      expect(got, metric).toBe(want);
    }
    // Not vacuous: the demo produces pairs for every histogram (but the assistant-time metrics,
    // which only voicemode's production logs carry: test/production/* covers them).
    const productionOnly = new Set(['assistant_think', 'conch_wait']);
    for (const metric of Object.keys(HISTOGRAMS)) {
      if (!productionOnly.has(metric)) expect(samples.filter((s) => s.metric === metric).length, metric).toBeGreaterThan(0);
    }
  });

  it('knows every metric and label name the dashboard uses, as the real collector spells them', async () => {
    const names = new Set(queries.flatMap((q) => [...q.expr.matchAll(/\b((?:voice|gen_ai)_[a-z_]+)/g)].map((m) => m[1]!)));
    expect(names.size).toBeGreaterThan(5);
    const metrics = (await prom('/api/v1/label/__name__/values', {})).data as unknown as string[];
    const labels = (await prom('/api/v1/labels', {})).data as unknown as string[];
    for (const n of names) expect([...metrics, ...labels], n).toContain(n);
  });

  it.each(queries.map((q) => [`${q.panel} / ${q.refId}`, q.expr]))('%s returns data', async (_name, expr) => {
    const end = Math.max(Date.now() / 1000, demoEndS + 6);
    // Grafana's $__rate_interval for the data source's 5 s interval: 4 x 5 s.
    const r = await prom('/api/v1/query_range', {
      query: expandGrafanaVariables(expr, '20s', `${Math.ceil(end - windowStartS)}s`),
      start: String(windowStartS),
      end: String(end),
      step: '1',
    });
    expect(r.status, r.error).toBe('success');
    const values = r.data.result.flatMap((s) => s.values ?? []).filter(([, v]) => v !== 'NaN');
    expect(r.data.result.length, `series for ${expr}`).toBeGreaterThan(0);
    expect(values.length, `non-NaN points for ${expr}`).toBeGreaterThan(0);
  });
});

describe.skipIf(skip)("the dashboard's Jaeger links", () => {
  interface Link {
    title: string;
    url: string;
  }
  const links = (): Link[] => {
    const dash = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
      links?: Link[];
      panels: { links?: Link[]; fieldConfig?: { defaults?: { links?: Link[] } } }[];
      templating: { list: { name: string; options?: { value: string }[] }[] };
    };
    return [...(dash.links ?? []), ...dash.panels.flatMap((p) => [...(p.links ?? []), ...(p.fieldConfig?.defaults?.links ?? [])])].filter((l) =>
      l.url.includes(':16686/'),
    );
  };
  const minDurations = (): string[] => {
    const dash = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { templating: { list: { name: string; options?: { value: string }[] }[] } };
    return (dash.templating.list.find((v) => v.name === 'min_duration')?.options ?? []).map((o) => o.value);
  };

  it('every link template resolves to a Jaeger API query that answers with traces that open', async () => {
    const all = links();
    expect(all.length).toBeGreaterThan(0);
    const fromMs = Math.floor(windowStartS * 1000);
    const toMs = Math.ceil(Date.now());
    const options = minDurations();
    expect(options.length).toBeGreaterThan(0);
    let found = 0;
    for (const link of all) {
      for (const minDuration of options) {
        const resolved = link.url
          .replaceAll('${service}', SERVICE)
          .replaceAll('${__from}', String(fromMs))
          .replaceAll('${__to}', String(toMs))
          .replaceAll('${min_duration}', minDuration);
        expect(resolved, `${link.title}: every variable resolved`).not.toMatch(/\$\{/);
        const u = new URL(resolved);
        // The UI's /search and /trace/<id> pages are the API's /api/traces?... and /api/traces/<id>.
        const api = u.pathname === '/search' ? `${stack.jaeger}/api/traces${u.search}` : `${stack.jaeger}/api/traces/${u.pathname.split('/').pop()}`;
        const r = await jaegerGet<JaegerTrace[]>(api);
        expect(r.status, `${link.title} (${minDuration}): ${JSON.stringify(r.errors)}`).toBe(200);
        const op = u.searchParams.get('operation');
        const minUs = minDuration.endsWith('ms') ? Number(minDuration.slice(0, -2)) * 1000 : Number(minDuration.slice(0, -1)) * 1e6;
        for (const t of r.data ?? []) {
          found++;
          if (op) expect(t.spans.some((s) => s.operationName === op && s.duration >= minUs), `${link.title}: ${op} >= ${minDuration}`).toBe(true);
          expect(await jaegerTrace(stack.jaeger, t.traceID), `trace ${t.traceID} opens`).toBeDefined();
        }
      }
    }
    // At the demo's --speed 2 some turns and TTS calls are longer than the smallest option.
    expect(found, 'links found traces').toBeGreaterThan(0);
  });

  it("every Jaeger search query of a panel (Grafana's Jaeger data source) answers through the API with matching traces", async () => {
    const dash = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
      panels: { title: string; targets?: { datasource?: { type: string }; queryType?: string; service?: string; operation?: string; minDuration?: string; limit?: number }[] }[];
    };
    const searches = dash.panels.flatMap((p) => (p.targets ?? []).filter((t) => t.datasource?.type === 'jaeger' && t.queryType === 'search').map((t) => ({ p, t })));
    expect(searches.length).toBeGreaterThan(0);
    for (const { p, t } of searches) {
      for (const minDuration of minDurations()) {
        const q = new URLSearchParams({
          service: (t.service ?? '').replaceAll('${service}', SERVICE),
          ...(t.operation ? { operation: t.operation } : {}),
          ...(t.minDuration ? { minDuration: t.minDuration.replaceAll('${min_duration}', minDuration) } : {}),
          limit: String(t.limit ?? 20),
          start: String(Math.floor(windowStartS * 1e6)),
          end: String(Date.now() * 1000),
        });
        expect(q.toString(), p.title).not.toMatch(/%24%7B/);
        const r = await jaegerGet<JaegerTrace[]>(`${stack.jaeger}/api/traces?${q}`);
        expect(r.status, `${p.title}: ${JSON.stringify(r.errors)}`).toBe(200);
        for (const tr of r.data ?? []) if (t.operation) expect(tr.spans.some((s) => s.operationName === t.operation), p.title).toBe(true);
      }
    }
  });
});
