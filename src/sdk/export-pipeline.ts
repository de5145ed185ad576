import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { readOtelEnv, readPrometheusEnv, type Env, type OtelEnv } from '../environment.js';
import { defaultNotice, reporter, type Warn } from '../warn.js';
import { startMeterPipeline, type MeterPipeline, type MetricsOptions } from './meter-provider.js';
import {
  createOtlpSpanProcessor,
  effectiveQueueSize,
  resolveBatch,
  OutageMonitor,
  resolveOtlp,
  type BatchOptions,
  type OtlpOptions,
  type ResolvedOtlp,
} from './otlp.js';

/**
 * Everything startTelemetry sends somewhere other than the JSONL files: the resource (service
 * name, OTEL_RESOURCE_ATTRIBUTES), OTLP span export, and the metrics pipeline. Honours
 * OTEL_SDK_DISABLED=true (no OTLP, no metrics; the JSONL sink has its own switch).
 */
export interface ExportOptions {
  /** OTLP endpoints and headers (default: the OTEL_EXPORTER_OTLP_* variables); false: no OTLP at all. */
  otlp?: OtlpOptions | false;
  /** Batch span processor limits (bounded memory while the endpoint is down). */
  batch?: BatchOptions;
  /** Metrics readers; false: no MeterProvider. */
  metrics?: MetricsOptions | false;
  /** Where the "export recovered" notice goes. Default stderr. */
  notice?: Warn;
  /**
   * Longest wait for the OTLP side at flush-on-exit / shutdown (the JSONL files are always
   * flushed completely). Default 5000 ms; 1000 ms when the endpoint is already failing.
   */
  shutdownTimeoutMillis?: number;
}

export interface ExportPipeline {
  readonly resource: Resource;
  readonly otlp: ResolvedOtlp;
  readonly spanProcessors: SpanProcessor[];
  readonly meters: MeterPipeline | undefined;
  readonly monitor: OutageMonitor;
  /** The OTEL_* variables as read once here (the tracer provider's span limits come from them too). */
  readonly otel: OtelEnv;
  /** Last metric collection pushed (spans are flushed by the tracer provider). */
  forceFlush(): Promise<void>;
  /**
   * Waits for `work` (an export flush or shutdown) at most the exit budget: a collector that
   * is down or hangs must not hold the process for the exporters' full retry time.
   */
  bounded(work: Promise<unknown>, final?: boolean): Promise<void>;
  shutdown(): Promise<void>;
}

/** Not a warning: a line saying things are fine again (diag.info with a diag logger, else stderr). */
export const noticeStderr: Warn = defaultNotice;

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
const FAILING_SHUTDOWN_TIMEOUT_MS = 1000;

export function isSdkDisabled(env: OtelEnv): boolean {
  return env.sdkDisabled;
}

/**
 * service.name: the option, else OTEL_SERVICE_NAME, else `voicemode`; other attributes from
 * OTEL_RESOURCE_ATTRIBUTES (the resources package's env detector, which reads process.env).
 */
export function buildResource(serviceName: string | undefined, env: OtelEnv): Resource {
  const detected = detectResources({ detectors: [envDetector] });
  const name = serviceName ?? env.serviceName ?? (detected.attributes['service.name'] as string | undefined);
  return detected.merge(resourceFromAttributes({ 'service.name': name || 'voicemode' }));
}

export function startExportPipeline(config: {
  options: ExportOptions;
  env: Env;
  serviceName: string | undefined;
  warn?: Warn;
}): ExportPipeline {
  const { options } = config;
  const warn = reporter(config.warn);
  const env = readOtelEnv(config.env);
  const resource = buildResource(config.serviceName, env);
  const disabled = isSdkDisabled(env);
  const otlp = resolveOtlp(disabled ? false : options.otlp, env);
  const batch = options.batch ?? {};
  const queue = effectiveQueueSize(batch, env);
  const monitor = new OutageMonitor(warn, options.notice ?? noticeStderr, (signal) =>
    signal === 'traces' ? `up to ${queue} spans wait in memory, newer ones are dropped` : 'metrics keep aggregating in memory',
  );
  monitor.background.limit.traces = queue; // spans in flight at most: as many as may wait in the queue
  const timeoutMs = options.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let finalDeadline: number | undefined;
  const spanProcessors = otlp.traces ? [createOtlpSpanProcessor(otlp.traces, monitor, resolveBatch(batch, env))] : [];
  const meters =
    disabled || options.metrics === false
      ? undefined
      : startMeterPipeline({
          resource,
          otlp: otlp.metrics,
          monitor,
          options: options.metrics ?? {},
          otel: env,
          prometheus: readPrometheusEnv(config.env, warn, { port: options.metrics?.prometheus === undefined }),
          warn,
        });
  return {
    resource,
    otlp,
    spanProcessors,
    meters,
    monitor,
    otel: env,
    forceFlush: () => meters?.forceFlush() ?? Promise.resolve(),
    bounded(work, final = false) {
      // At shutdown, the flush and the shutdown share one budget; when it runs out, later
      // exports fail fast (monitor.closed) so no new retry round holds the process.
      const budget = monitor.failing ? Math.min(FAILING_SHUTDOWN_TIMEOUT_MS, timeoutMs) : timeoutMs;
      const until = final ? (finalDeadline ??= Date.now() + budget) : Date.now() + budget;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (final) monitor.closeForExit();
          resolve();
        }, Math.max(0, until - Date.now()));
        // ref'd: the export requests do not hold the process (background-agent.ts), so whoever
        // waits for a flush or a shutdown must, until it is done or the deadline passes
      });
      return Promise.race([work.then(() => undefined, () => undefined), deadline]).finally(() => clearTimeout(timer));
    },
    shutdown: () => meters?.shutdown() ?? Promise.resolve(),
  };
}
