import { Command } from 'commander';
import { context, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { dataToAttributes, type Env, processEnv, readOtelEnv, usToHrTime } from 'voicemode-events/internal';
import { countSpans, planSpans, type PlannedSpan } from '../analysis/rebuild.js';
import { DataError, UsageError } from '../reader/errors.js';
import { SessionSorter } from '../reader/session-sorter.js';
import { writeOut } from '../format.js';
import { outputRedactor } from '../redact-output.js';
import { positiveIntArg } from './summary.js';
import { addTimeOptions, addVerboseOption, baseFilter, readInputs, type InputOptions } from '../input.js';

interface ReplayOptions extends InputOptions {
  endpoint?: string;
  timeout: number;
  serviceName: string;
}

/** The traces URL: --endpoint (a base URL gets /v1/traces), else the OTel env variables, else localhost:4318. */
export function tracesUrl(endpoint: string | undefined, env: Env = processEnv()): string {
  const withPath = (base: string): string => (/\/v1\/traces\/?$/.test(base) ? base : base.replace(/\/+$/, '') + '/v1/traces');
  if (endpoint) return withPath(endpoint);
  const otel = readOtelEnv(env);
  if (otel.traces.endpoint) return otel.traces.endpoint;
  if (otel.otlp.endpoint) return withPath(otel.otlp.endpoint);
  return 'http://localhost:4318/v1/traces';
}

/** Collects finished spans; the command exports them in batches and checks every result. */
class CollectingProcessor implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function emit(tracer: Tracer, plan: PlannedSpan, parent: Context): void {
  const span = tracer.startSpan(plan.name, { startTime: usToHrTime(plan.startUs), attributes: plan.attributes }, parent);
  for (const ev of plan.events) span.addEvent(ev.eventType, dataToAttributes(ev.data), usToHrTime(ev.timestampUs));
  if (plan.error) span.setStatus({ code: SpanStatusCode.ERROR });
  const ctx = trace.setSpan(parent, span);
  for (const c of plan.children) emit(tracer, c, ctx);
  span.end(usToHrTime(plan.endUs));
}

export function replayCommand(): Command {
  const cmd = new Command('replay')
    .description('Rebuild sessions, turns and operation spans from JSONL with the original timestamps and export them over OTLP/HTTP (e.g. to Jaeger)')
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .option('--endpoint <url>', 'OTLP/HTTP endpoint: a base URL (http://localhost:4318) or the full /v1/traces URL (default: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, else http://localhost:4318)')
    .option('--session <id>', 'only this session')
    .option('--timeout <ms>', 'give up on an export request after this many milliseconds', positiveIntArg('--timeout'), 10_000)
    .option('--service-name <name>', 'service.name of the replayed spans', readOtelEnv(processEnv()).serviceName ?? 'voicemode');
  addTimeOptions(cmd);
  addVerboseOption(cmd);
  return cmd
    .addHelpText('after', '\nExample:\n  $ voicemode-events replay ~/voicemode_logs/voicemode_events_2026-11-23.jsonl --endpoint http://localhost:4318\n')
    .action(async (paths: string[], opts: ReplayOptions) => {
      const url = tracesUrl(opts.endpoint);
      try {
        new URL(url);
      } catch {
        throw new UsageError(`--endpoint ${JSON.stringify(url)} is not a URL`);
      }
      const exporter = new OTLPTraceExporter({ url, timeoutMillis: opts.timeout });
      const collector = new CollectingProcessor();
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': opts.serviceName, 'voicemode.replay': true }),
        spanProcessors: [collector],
        spanLimits: { eventCountLimit: 100_000, attributeCountLimit: 1000 },
      });
      const tracer = provider.getTracer('voicemode-events-replay');
      let sessions = 0;
      let spans = 0;
      let events = 0;
      const exportBatch = async (): Promise<void> => {
        while (collector.spans.length > 0) {
          const batch = collector.spans.splice(0, 512);
          const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => exporter.export(batch, resolve));
          if (result.code !== ExportResultCode.SUCCESS) {
            throw new DataError(`export to ${url} failed: ${result.error?.message ?? 'unknown error'}`);
          }
        }
      };
      // What leaves the machine is redacted like what is printed: secret keys and values always,
      // VOICEMODE_EVENT_LOG_REDACT=text|all as configured. Done on the way in, so the span plan
      // (attributes taken from data) only ever sees redacted data.
      const redact = outputRedactor();
      const sorter = new SessionSorter((evs) => {
        const plan = planSpans(evs);
        if (evs[0]?.sessionId !== null) sessions++;
        events += evs.length;
        spans += countSpans(plan);
        for (const root of plan) emit(tracer, root, context.active());
      });
      try {
        await readInputs(paths, opts, baseFilter(opts), (ev) => sorter.push({ ...ev, data: redact.data(ev.data) }), {
          afterChunk: () => (collector.spans.length >= 512 ? exportBatch() : undefined),
        });
        sorter.finish();
        await exportBatch();
      } finally {
        await exporter.shutdown().catch(() => undefined);
        await provider.shutdown().catch(() => undefined);
      }
      if (events === 0) throw new DataError('no events to replay');
      await writeOut(`Replayed ${sessions} session(s), ${spans} span(s), ${events} event(s) to ${url}\n`);
    });
}
