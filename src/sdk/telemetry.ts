import { AlwaysOnSampler, TracerProvider, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { resolveConfig, type EventLogOptions } from '../config.js';
import { onceEach, reporter, type Warn } from '../warn.js';
import { liveEvents } from '../events/live-bus.js';
import { endOpenSessions } from '../instrument/session.js';
import { TRACER_NAME, VoiceEvents } from '../instrument/voice-events.js';
import { JsonlFileWriter } from '../sink/jsonl-file-writer.js';
import { JsonlEventProcessor } from '../sink/jsonl-processor.js';
import type { Clock } from '../time/clock.js';
import { guardClock } from '../time/guarded-clock.js';
import { scheduleRetention } from '../sink/retention.js';
import { processEnv, readLogEnv, type Env } from '../environment.js';
import { installExitHooks } from './exit-hooks.js';
import { registerTracerProvider } from './register.js';
import { METER_NAME } from './meter-provider.js';
import { startExportPipeline, type ExportOptions, type ExportPipeline } from './export-pipeline.js';

export interface TelemetryOptions extends EventLogOptions, ExportOptions {
  /** `service.name` of the resource. Default OTEL_SERVICE_NAME, else `voicemode`. */
  serviceName?: string;
  /** More span processors (your own exporters) next to the JSONL sink. */
  spanProcessors?: SpanProcessor[];
  /**
   * Events a span may keep. The SDK default (128) silently drops the rest; a long session
   * needs more. The JSONL file keeps every event whatever this is. Default 10,000.
   */
  eventCountLimit?: number;
  /**
   * Which traces are kept. Default: all (AlwaysOnSampler, whatever OTEL_TRACES_SAMPLER says), because a
   * span the sampler drops never reaches the JSONL sink: sample in the collector (tail sampling) instead.
   */
  sampler?: Sampler;
  /** Register as the global tracer provider (and AsyncLocalStorage context manager). Default true. */
  register?: boolean;
  /** Flush and close sessions on exit, SIGINT and SIGTERM. Default true. */
  handleExit?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The events' clock (see VoiceEventsOptions.clock; guarded the same way). */
  clock?: Clock;
  /** Delete files dated more than N days ago. Default VOICEMODE_EVENT_LOG_RETENTION_DAYS, else keep all. */
  retentionDays?: number;
  /** Gzip files dated more than M (>= 1) days ago. Default VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS, else never. */
  compressAfterDays?: number;
  /** Memory kept for events while the folder cannot be written; the oldest beyond it are dropped and counted. Default 32 MiB. */
  maxBufferedBytes?: number;
  /**
   * Receives every warning of the library set up here: the JSONL sink, OTLP outages, configuration,
   * and the instrumentation's internal errors. Default: OTel's diag when the app set a diag
   * logger (`diag.setLogger`), else stderr (see warn.ts).
   */
  warn?: Warn;
}

export interface Telemetry {
  readonly provider: TracerProvider;
  /** OTLP export and metrics (see sdk/export-pipeline.ts); `exports.meters` is undefined when metrics go nowhere. */
  readonly exports: ExportPipeline;
  /** The JSONL sink, when enabled. */
  readonly jsonl: JsonlEventProcessor | undefined;
  /** The instrumentation API bound to this provider. */
  readonly voice: VoiceEvents;
  /** Folder of the JSONL files (also when disabled: where they would go). */
  readonly logDir: string;
  /** Events the JSONL sink had to drop (memory bound reached while the folder was unusable). Also the metric voice.events.dropped. */
  droppedEvents(): number;
  forceFlush(): Promise<void>;
  /** Ends open sessions (reason "shutdown"), flushes everything and stops. Idempotent. */
  shutdown(): Promise<void>;
}

export const DEFAULT_EVENT_COUNT_LIMIT = 10_000;

/** Retention from the options, else the environment (read only for what the options leave unset). */
function retentionFromEnv(
  env: Env,
  options: TelemetryOptions,
  warn: Warn,
): { retentionDays?: number | undefined; compressAfterDays?: number | undefined } {
  const unset = (['retentionDays', 'compressAfterDays'] as const).filter((k) => options[k] === undefined);
  const fromEnv = readLogEnv(env, warn, unset);
  return { retentionDays: options.retentionDays ?? fromEnv.retentionDays, compressAfterDays: options.compressAfterDays ?? fromEnv.compressAfterDays };
}

/**
 * The one SDK wiring entry: a TracerProvider (`@opentelemetry/sdk-trace`, 2.x or 3.x) with the JSONL sink (the embedded
 * default, no server needed) plus whatever processors you add. Apps with their own
 * provider skip this and add `new JsonlEventProcessor()` to it instead.
 */
export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? processEnv();
  const warn = reporter(options.warn);
  const warnOnce = onceEach(options.warn);
  const config = resolveConfig(options, env, warnOnce);
  const clock = guardClock(options.clock, warnOnce);
  const jsonl = config.enabled
    ? new JsonlEventProcessor({
        redact: config.redact,
        warn,
        writer: new JsonlFileWriter({
          dir: config.dir,
          rotation: config.rotation,
          flushIntervalMs: config.flushIntervalMs,
          warn,
          ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
        }),
      })
    : undefined;

  const exports = startExportPipeline({ options, env, serviceName: options.serviceName, warn });
  const provider = new TracerProvider({
    resource: exports.resource,
    sampler: options.sampler ?? new AlwaysOnSampler(),
    // the SDK's provider reads no OTEL_SPAN_* variable (in the 3.x line none does): ours are parsed
    spanLimits: { ...exports.otel.spanLimits, eventCountLimit: options.eventCountLimit ?? DEFAULT_EVENT_COUNT_LIMIT },
    spanProcessors: [...(jsonl ? [jsonl] : []), ...exports.spanProcessors, ...(options.spanProcessors ?? [])],
  });
  // The JSONL files completely; spans and the last metric collection over OTLP within the exit budget.
  const flushAll = async (final = false): Promise<void> => {
    // exports answer the SDK at once and run in the background (sdk/otlp.ts): wait for them too
    const exported = exports.bounded(
      Promise.all([provider.forceFlush(), exports.forceFlush()]).then(() => exports.monitor.background.settled()),
      final,
    );
    await Promise.all([jsonl?.forceFlush().catch(() => undefined), exported]);
  };
  if (options.register !== false) registerTracerProvider(provider);
  if (jsonl && exports.meters) {
    exports.meters.provider
      .getMeter(METER_NAME)
      .createObservableCounter('voice.events.dropped', { unit: '{event}', description: 'Events the JSONL sink had to drop' })
      .addCallback((result) => result.observe(jsonl.writer.dropped));
  }
  const stopRetention = jsonl
    ? scheduleRetention(
        config.dir,
        {
          ...retentionFromEnv(env, options, warnOnce),
          // the writer names its file from the events' clock: that file is live whatever Date.now() says
          writerNowMs: () => clock.nowUs() / 1000,
        },
        warn,
      )
    : () => undefined;

  const voice = new VoiceEvents({
    tracer: provider.getTracer(TRACER_NAME),
    redact: config.redact,
    warn,
    clock,
  });

  const uninstall =
    options.handleExit === false
      ? () => undefined
      : installExitHooks({
          endSessions: (reason) => void endOpenSessions(reason),
          activity: () => liveEvents.emitted,
          flush: () => flushAll(true),
          flushSync: () => jsonl?.writer.flushSync(),
        });

  let stopped: Promise<void> | undefined;
  return {
    provider,
    exports,
    jsonl,
    voice,
    logDir: config.dir,
    droppedEvents: () => jsonl?.writer.dropped ?? 0,
    forceFlush: () => flushAll(),
    shutdown() {
      stopped ??= (async () => {
        endOpenSessions('shutdown');
        uninstall();
        stopRetention();
        await flushAll(true);
        await exports.bounded(
          Promise.all([provider.shutdown(), exports.shutdown()]).then(() => exports.monitor.background.settled()),
          true,
        );
      })();
      return stopped;
    },
  };
}
