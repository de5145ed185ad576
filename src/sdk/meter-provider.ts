import type { ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Warn } from '../config.js';
import type { OtelEnv, PrometheusEnv } from '../environment.js';
import { installVoiceInstruments } from '../metrics/otel-instruments.js';
import { type OutageMonitor, type SignalTarget } from './otlp.js';

/**
 * The metrics side: a MeterProvider whose readers are an OTLP push (PeriodicExportingMetricReader)
 * and/or a Prometheus pull endpoint, with the voice instruments installed on it.
 */

export interface PrometheusOptions {
  /** Port of the `/metrics` endpoint. Env: VOICEMODE_PROMETHEUS_PORT. */
  port: number;
  /** Interface to bind. Env: VOICEMODE_PROMETHEUS_HOST. Default 127.0.0.1 (not reachable from other machines). */
  host?: string;
}

export interface MetricsOptions {
  /** Push interval of the OTLP metric reader. Default OTEL_METRIC_EXPORT_INTERVAL or 10000 ms. */
  exportIntervalMillis?: number;
  /** Default OTEL_METRIC_EXPORT_TIMEOUT or the interval (the SDK requires timeout <= interval). */
  exportTimeoutMillis?: number;
  /** A Prometheus scrape endpoint; `false` turns off VOICEMODE_PROMETHEUS_PORT. */
  prometheus?: PrometheusOptions | false;
}

export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 10_000;
export const METER_NAME = 'voicemode-events';

/** The Prometheus endpoint asked for by option or env, or undefined. */
export function resolvePrometheus(option: PrometheusOptions | false | undefined, env: PrometheusEnv): Required<PrometheusOptions> | undefined {
  if (option === false) return undefined;
  const host = option?.host ?? env.host ?? '127.0.0.1';
  if (option) return { port: option.port, host };
  return env.port === undefined ? undefined : { port: env.port, host };
}

/** Reports each metric export's result to the outage monitor; otherwise the OTLP exporter as is. */
export class ObservedMetricExporter implements PushMetricExporter {
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly monitor: OutageMonitor,
    private readonly url: string,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.monitor.background.run('metrics', this.url, 1, (done) => this.inner.export(metrics, done), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType) {
    return this.inner.selectAggregationTemporality!(instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType) {
    return this.inner.selectAggregation!(instrumentType);
  }
}

export interface MeterPipeline {
  readonly provider: MeterProvider;
  /** The Prometheus reader, when asked for; `url` once it listens. */
  readonly prometheus: { exporter: PrometheusExporter; url: string; ready: Promise<void> } | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface MeterPipelineConfig {
  resource: Resource;
  otlp: SignalTarget | undefined;
  monitor: OutageMonitor;
  options: MetricsOptions;
  otel: OtelEnv;
  prometheus: PrometheusEnv;
  warn: Warn;
}

/** Undefined when there is nowhere to send metrics (no OTLP metrics endpoint, no Prometheus port). */
export function startMeterPipeline(config: MeterPipelineConfig): MeterPipeline | undefined {
  const { options, otel, warn } = config;
  const prom = resolvePrometheus(options.prometheus, config.prometheus);
  const readers: IMetricReader[] = [];

  if (config.otlp) {
    const interval = options.exportIntervalMillis ?? otel.metricExportIntervalMs ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
    const timeout = Math.min(options.exportTimeoutMillis ?? otel.metricExportTimeoutMs ?? interval, interval);
    const t = config.otlp;
    const exporter = new OTLPMetricExporter({ url: t.url, headers: t.headers, timeoutMillis: t.timeoutMillis, httpAgentOptions: config.monitor.agents.factory });
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new ObservedMetricExporter(exporter, config.monitor, t.url),
        exportIntervalMillis: interval,
        exportTimeoutMillis: timeout,
      }),
    );
  }

  let prometheus: MeterPipeline['prometheus'];
  if (prom) {
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    const exporter = new PrometheusExporter({ host: prom.host, port: prom.port }, (error) => {
      if (error) warn(`Prometheus endpoint on ${prom.host}:${prom.port} could not start (${(error as NodeJS.ErrnoException).code ?? error.message}); metrics still go over OTLP if configured`);
      resolveReady();
    });
    const host = prom.host.includes(':') ? `[${prom.host}]` : prom.host;
    prometheus = { exporter, url: `http://${host}:${prom.port}/metrics`, ready };
    readers.push(exporter);
  }

  if (readers.length === 0) return undefined;
  const provider = new MeterProvider({ resource: config.resource, readers });
  const uninstall = installVoiceInstruments(provider.getMeter(METER_NAME), warn);
  let stopped: Promise<void> | undefined;
  return {
    provider,
    prometheus,
    forceFlush: () => provider.forceFlush().catch(() => undefined),
    shutdown() {
      stopped ??= (async () => {
        uninstall();
        await provider.forceFlush().catch(() => undefined);
        await provider.shutdown().catch(() => undefined);
      })();
      return stopped;
    },
  };
}
