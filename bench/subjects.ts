import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { context, ROOT_CONTEXT, trace, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import pino, { type Logger } from 'pino';
import { startTelemetry, DEFAULT_EVENT_COUNT_LIMIT, type Telemetry, type TelemetryOptions } from '../src/sdk/telemetry.js';

/**
 * The things measured side by side, each set up as its user would set it up.
 *
 * - ours: `startTelemetry` (the full pipeline: JSONL sink, the metrics deriver, and the OTel
 *   metric instruments when startTelemetry can wire them) with OTLP endpoints unset.
 * - pino: `pino(pino.destination({ dest, sync: false }))`, default options.
 * - raw OTel: a TracerProvider with a BatchSpanProcessor and an exporter that does nothing
 *   (what a user of raw OpenTelemetry has before choosing a backend), same span limits as ours.
 */

let contextManagerSet = false;

/** A real app registers the AsyncLocalStorage context manager; both OTel subjects run under it. */
export function ensureContextManager(): void {
  if (contextManagerSet) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerSet = true;
}

export interface Ours {
  telemetry: Telemetry;
  dir: string;
  /** What the metrics side consists of in this build (printed with the results). */
  metricsWiring: string;
  shutdown(): Promise<void>;
}

/**
 * Our full pipeline. The OTLP endpoints are unset (the environment given to startTelemetry has
 * none), so no exporter runs; metrics are asked for with an idle Prometheus pull reader on an
 * ephemeral loopback port: that makes startTelemetry wire its MeterProvider and histograms
 * (subscribed to the live buses) exactly as it does for a user, and nothing is ever collected
 * unless scraped. A build whose startTelemetry has no metrics option ignores the field and
 * runs with the deriver alone; `metricsWiring` says which it was.
 */
export function startOurs(dir: string, withMeters = true): Ours {
  ensureContextManager();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const options = {
    dir,
    handleExit: false,
    register: false,
    env,
    warn: (m: string) => process.stderr.write(`bench: voicemode-events warned: ${m}\n`),
    ...(withMeters ? { metrics: { prometheus: { port: 0, host: '127.0.0.1' } } } : {}),
  } as TelemetryOptions;
  const telemetry = startTelemetry(options);
  const meters = (telemetry as { exports?: { meters?: unknown } }).exports?.meters;
  const metricsWiring = meters
    ? 'MetricsDeriver + OTel MeterProvider histograms/counters (idle Prometheus pull reader)'
    : withMeters
      ? 'MetricsDeriver only (this build of startTelemetry wires no MeterProvider)'
      : 'MetricsDeriver only (no metrics reader configured: startTelemetry wires no MeterProvider)';
  return { telemetry, dir, metricsWiring, shutdown: () => telemetry.shutdown() };
}

/** The JSONL files our sink wrote into `dir`. */
export function jsonlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(dir, f));
}

export interface Pino {
  logger: Logger;
  file: string;
  /** Resolves when every line is written and the file is closed. */
  close(): Promise<void>;
}

export function startPino(file: string): Pino {
  const dest = pino.destination({ dest: file, sync: false });
  const logger = pino(dest);
  let closed: Promise<void> | undefined;
  return {
    logger,
    file,
    close() {
      closed ??= (async () => {
        if (!(dest as unknown as { fd: number }).fd || (dest as unknown as { fd: number }).fd < 0) await once(dest, 'ready');
        const done = once(dest, 'close');
        dest.end();
        await done;
      })();
      return closed;
    },
  };
}

class NoopExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface RawOtel {
  provider: TracerProvider;
  tracer: Tracer;
  /** A root span standing for the session / turn that raw child spans hang under. */
  parent: Span;
  shutdown(): Promise<void>;
}

export function startRawOtel(): RawOtel {
  ensureContextManager();
  const provider = new TracerProvider({
    spanLimits: { eventCountLimit: DEFAULT_EVENT_COUNT_LIMIT },
    spanProcessors: [new BatchSpanProcessor({ exporter: new NoopExporter() })],
  });
  const tracer = provider.getTracer('bench-raw');
  const parent = tracer.startSpan('session', { root: true }, ROOT_CONTEXT);
  return {
    provider,
    tracer,
    parent,
    async shutdown() {
      parent.end();
      await provider.shutdown();
    },
  };
}

/** The context raw child spans start under (the raw session span). */
export function rawParentContext(raw: RawOtel): ReturnType<typeof trace.setSpan> {
  return trace.setSpan(ROOT_CONTEXT, raw.parent);
}
