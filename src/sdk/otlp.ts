import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { BatchSpanProcessor as BatchSpanProcessorType, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultNotice, defaultWarn, type Warn } from '../warn.js';
import type { OtelEnv } from '../environment.js';
import { BackgroundAgents } from './background-agent.js';

/**
 * OTLP/HTTP (JSON) export of spans, and what every OTLP exporter of ours shares: where to
 * send (the standard OTEL_EXPORTER_OTLP_* variables), and how an outage is reported: one
 * warning when an endpoint starts failing, one notice when it recovers, nothing per batch.
 *
 * The exporters themselves are the stock ones; they are wrapped only to observe each export's
 * result. Memory stays bounded by the processors' queues (BatchSpanProcessor: maxQueueSize,
 * then new spans are dropped; the metric reader keeps only the current aggregation).
 */

export type Signal = 'traces' | 'metrics';

export interface OtlpOptions {
  /** Base URL, like OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` and `/v1/metrics` are appended. */
  endpoint?: string;
  /** Used verbatim, like OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  tracesEndpoint?: string;
  /** Used verbatim, like OTEL_EXPORTER_OTLP_METRICS_ENDPOINT. */
  metricsEndpoint?: string;
  /** Extra headers (override the OTEL_EXPORTER_OTLP_*HEADERS ones). Never printed. */
  headers?: Record<string, string>;
  /** Per-request timeout. Default OTEL_EXPORTER_OTLP_{TRACES_,METRICS_,}TIMEOUT or 10 s. */
  timeoutMillis?: number;
}

export interface SignalTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
}

export interface ResolvedOtlp {
  traces: SignalTarget | undefined;
  metrics: SignalTarget | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** Appends `path` to the URL's path (a query string, if any, stays a query string). */
function joinPath(base: string, path: string): string {
  try {
    const u = new URL(base);
    u.pathname = u.pathname.endsWith('/') ? u.pathname + path : `${u.pathname}/${path}`;
    return u.href;
  } catch {
    return base.endsWith('/') ? base + path : `${base}/${path}`;
  }
}

/**
 * Where each signal goes, or undefined when it is not exported. The signal-specific endpoint
 * (option or env) is used verbatim; the generic one gets `v1/traces` / `v1/metrics` appended;
 * no endpoint anywhere means no OTLP export of that signal (the JSONL sink works alone).
 */
export function resolveOtlp(options: OtlpOptions | false | undefined, env: OtelEnv): ResolvedOtlp {
  if (options === false) return { traces: undefined, metrics: undefined };
  const o = options ?? {};
  const base = nonEmpty(o.endpoint) ?? env.otlp.endpoint;
  const target = (signal: Signal): SignalTarget | undefined => {
    const own = signal === 'traces' ? env.traces : env.metrics;
    // Options in code override the environment: an endpoint given in code is not replaced by a
    // signal-specific variable (which otherwise wins over the generic one, as the OTLP spec says).
    const specific = nonEmpty(signal === 'traces' ? o.tracesEndpoint : o.metricsEndpoint) ?? (nonEmpty(o.endpoint) ? undefined : own.endpoint);
    const url = specific ?? (base ? joinPath(base, `v1/${signal}`) : undefined);
    if (!url) return undefined;
    return {
      url,
      headers: { ...env.otlp.headers, ...own.headers, ...(o.headers ?? {}) },
      timeoutMillis: o.timeoutMillis ?? own.timeoutMs ?? env.otlp.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  };
  return { traces: target('traces'), metrics: target('metrics') };
}

/** A URL fit for a message: no user, password, query or fragment (credentials live there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<unparseable OTLP endpoint>';
  }
}

/** What went wrong, without anything from headers, URLs' secrets or response bodies. */
export function describeExportError(error: unknown): string {
  if (error === undefined || error === null) return 'export failed';
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof e.code === 'number') return `HTTP ${e.code}`;
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  if (typeof e.message === 'string' && /timed? ?out/i.test(e.message)) return 'request timed out';
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return 'export failed';
}

interface Outage {
  since: number;
  failures: number;
  failing: Set<Signal>;
}

/**
 * Tracks outages per endpoint origin (traces and metrics to one collector share one outage).
 * First failure: one warning. Further failures: counted, silent. The first success of every
 * failing signal: one notice that it recovered.
 */
export class OutageMonitor {
  private readonly outages = new Map<string, Outage>();
  /** How many warnings were printed (for tests and the curious). */
  warnings = 0;
  /**
   * Set when the exit budget ran out: later exports fail at once instead of starting another
   * round of network retries that would keep a finished process alive.
   */
  closed = false;
  /** The exporters' HTTP agents: requests that never hold the process, aborted by closeForExit(). */
  readonly agents = new BackgroundAgents();
  /** Exports in flight, answered at once to the SDK (see BackgroundExports). */
  readonly background = new BackgroundExports(this);

  /** The exit deadline passed: later exports fail at once and those in flight are ended. */
  closeForExit(): void {
    this.closed = true;
    this.agents.abort();
  }

  constructor(
    private readonly warn: Warn = defaultWarn,
    private readonly notice: Warn = defaultNotice,
    private readonly describeBound: (signal: Signal) => string = () => '',
  ) {}

  /** True while some endpoint is in an outage (no success since its last failure). */
  get failing(): boolean {
    return this.outages.size > 0;
  }

  report(signal: Signal, url: string, result: ExportResult): void {
    const origin = redactUrl(url).replace(/\/v1\/(traces|metrics)$/, '');
    const outage = this.outages.get(origin);
    if (result.code === ExportResultCode.SUCCESS) {
      if (!outage || !outage.failing.delete(signal)) return;
      if (outage.failing.size > 0) return;
      this.outages.delete(origin);
      const secs = ((Date.now() - outage.since) / 1000).toFixed(1);
      this.notice(`OTLP export to ${origin} recovered after ${secs} s (${outage.failures} failed export(s) in between)`);
      return;
    }
    if (outage) {
      outage.failures++;
      outage.failing.add(signal);
      return;
    }
    this.outages.set(origin, { since: Date.now(), failures: 1, failing: new Set([signal]) });
    this.warnings++;
    const bound = this.describeBound(signal);
    this.warn(
      `OTLP ${signal} export to ${redactUrl(url)} failed (${describeExportError(result.error)}). ` +
        `The app and the JSONL files are unaffected; ${bound ? bound + '; ' : ''}` +
        `export is retried and a notice follows when the endpoint is back. No further warnings for this outage.`,
    );
  }
}

/**
 * Runs one export and reports its result to the monitor, exactly once, before handing it on
 * unchanged. An exporter that throws counts as a failed export (never reaches the app).
 */
export function observeExport(
  monitor: OutageMonitor,
  signal: Signal,
  url: string,
  run: (done: (result: ExportResult) => void) => void,
  resultCallback: (result: ExportResult) => void,
): void {
  if (monitor.closed) {
    resultCallback({ code: ExportResultCode.FAILED, error: new Error('export skipped: exit deadline passed') });
    return;
  }
  let done = false;
  const finish = (result: ExportResult): void => {
    if (done) return;
    done = true;
    try {
      monitor.report(signal, url, result);
    } finally {
      resultCallback(result);
    }
  };
  try {
    run(finish);
  } catch (error) {
    finish({ code: ExportResultCode.FAILED, error: error as Error });
  }
}

/**
 * Exports run in the background of the app. The SDK's processors start a ref'd timer for each
 * export until its callback (BatchSpanProcessor: the export timeout, 30 s), so an export to a
 * hanging collector kept an app that had finished from ending, batch after batch (30-70 s).
 * Here the SDK's callback gets SUCCESS at once and the request goes on on its own (its socket
 * does not hold the process: background-agent.ts); its real result goes to the OutageMonitor.
 * Memory stays bounded: at most `limit.traces` spans (the span queue's size: the queue bound,
 * doubled) and `limit.metrics` metric exports are in flight; beyond that an export is dropped
 * and reported as a failed export (one warning per outage), as a full span queue drops spans.
 * `settled()` waits for those in flight; flush and shutdown await it under the exit deadline.
 */
export class BackgroundExports {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly items: Record<Signal, number> = { traces: 0, metrics: 0 };
  readonly limit: Record<Signal, number> = { traces: DEFAULT_MAX_QUEUE_SIZE, metrics: 8 };
  /** Exports dropped because the limit was reached. */
  dropped = 0;

  constructor(private readonly monitor: OutageMonitor) {}

  /** Runs one export of `items` (spans, or 1 for a metric export) in the background; `resultCallback` is the SDK's. */
  run(signal: Signal, url: string, items: number, run: (done: (result: ExportResult) => void) => void, resultCallback: (result: ExportResult) => void): void {
    if (this.items[signal] > 0 && this.items[signal] + items > this.limit[signal]) {
      this.dropped++;
      const error = new Error(`export dropped: ${this.items[signal]} ${signal === 'traces' ? 'spans' : 'exports'} still in flight`);
      observeExport(this.monitor, signal, url, (done) => done({ code: ExportResultCode.FAILED, error }), resultCallback);
      return;
    }
    this.items[signal] += items;
    let settle!: () => void;
    const p = new Promise<void>((r) => (settle = r));
    this.inFlight.add(p);
    void p.then(() => {
      this.inFlight.delete(p);
      this.items[signal] -= items;
    });
    observeExport(this.monitor, signal, url, run, () => settle());
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  /**
   * Resolves when the exports in flight now have ended (not those started later: a periodic
   * metric export must not keep a flush waiting). Whoever waits
   * for them holds the process meanwhile (a timer): their sockets do not, and a process whose
   * loop ran dry under a pending `await` would end with exit code 13.
   */
  async settled(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const hold = setInterval(() => undefined, 1 << 30);
    try {
      await Promise.all([...this.inFlight]);
    } finally {
      clearInterval(hold);
    }
  }
}

/** A SpanExporter that reports each export's result to the monitor and changes nothing else. */
export class ObservedSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly monitor: OutageMonitor,
    private readonly url: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.monitor.background.run('traces', this.url, spans.length, (done) => this.inner.export(spans, done), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
}

export interface BatchOptions {
  /** Spans waiting for export at most; beyond it new spans are dropped. Default OTEL_BSP_MAX_QUEUE_SIZE or 2048. */
  maxQueueSize?: number;
  /** Default OTEL_BSP_MAX_EXPORT_BATCH_SIZE or 512. */
  maxExportBatchSize?: number;
  /** Default OTEL_BSP_SCHEDULE_DELAY or 5000 ms. */
  scheduledDelayMillis?: number;
  /** Default OTEL_BSP_EXPORT_TIMEOUT or 30000 ms. */
  exportTimeoutMillis?: number;
}

export const DEFAULT_MAX_QUEUE_SIZE = 2048;

/** BatchSpanProcessor -> ObservedSpanExporter -> OTLPTraceExporter (HTTP, JSON). */
export function createOtlpSpanProcessor(
  target: SignalTarget,
  monitor: OutageMonitor,
  batch: BatchOptions = {},
): BatchSpanProcessorType {
  const exporter = new OTLPTraceExporter({ url: target.url, headers: target.headers, timeoutMillis: target.timeoutMillis, httpAgentOptions: monitor.agents.factory });
  const config: BatchOptions = {};
  for (const [k, v] of Object.entries(batch) as [keyof BatchOptions, number | undefined][]) if (v !== undefined) config[k] = v;
  return new BatchSpanProcessor(new ObservedSpanExporter(exporter, monitor, target.url), config);
}

/** The queue bound in effect (option, env, SDK default), for messages and docs. */
export function effectiveQueueSize(batch: BatchOptions, env: OtelEnv): number {
  return batch.maxQueueSize ?? env.bspMaxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE;
}
